package jobs_test

import (
	"context"
	"fmt"
	"time"

	"github.com/quarry-go/quarry/framework/jobs"
)

type WelcomeArgs struct {
	User string `json:"user"`
}

func (WelcomeArgs) Kind() string { return "welcome" }

// A client on the in-memory backend: register a kind, start the client,
// enqueue a job and wait for it.
func Example() {
	done := make(chan string, 1)
	reg := jobs.NewRegistry()
	jobs.Register[WelcomeArgs](reg, jobs.WorkFunc[WelcomeArgs](func(ctx context.Context, j *jobs.Job[WelcomeArgs]) error {
		done <- "welcome, " + j.Args.User
		return nil
	}), jobs.KindOptions{MaxAttempts: 3})
	client, err := jobs.New(jobs.NewMemory(), jobs.Config{Registry: reg,
		Queues: map[string]jobs.QueueConfig{"default": {MaxWorkers: 5}}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := client.Start(ctx); err != nil {
		panic(err)
	}
	if _, err := client.Enqueue(ctx, WelcomeArgs{User: "ada"}, nil); err != nil {
		panic(err)
	}
	fmt.Println(<-done)
	stop, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Stop(stop); err != nil {
		panic(err)
	}
	// Output: welcome, ada
}
