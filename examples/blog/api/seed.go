package api

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework"
)

// Seed fills an empty blog with two authors and three posts so a first run
// has something to show. It does nothing when an author exists.
func Seed(ctx context.Context, d *framework.Database) error {
	q := db.Queries(d)
	authors, err := q.AuthorList(ctx)
	if err != nil || len(authors) > 0 {
		return err
	}
	ada, err := q.AuthorCreate(ctx, db.AuthorCreateParams{Name: "Ada Lovelace", Email: "ada@example.com", Bio: "Wrote the first program."})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	grace, err := q.AuthorCreate(ctx, db.AuthorCreateParams{Name: "Grace Hopper", Email: "grace@example.com", Bio: "Found the first bug."})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for _, p := range []postInput{
		{AuthorID: ada, Title: "Notes on the Analytical Engine", Slug: "analytical-engine", Body: "It weaves algebraic patterns.", Published: true, Tags: []string{"history", "machines"}},
		{AuthorID: grace, Title: "A moth in relay 70", Slug: "first-bug", Body: "First actual case of bug being found.", Published: true, Tags: []string{"history", "debugging"}},
		{AuthorID: grace, Title: "Compilers, a draft", Slug: "compilers-draft", Body: "Work in progress.", Tags: []string{"languages"}},
	} {
		if err := createPost(ctx, d, p); err != nil {
			return fmt.Errorf("seed post %s: %w", p.Slug, err)
		}
	}
	return nil
}
