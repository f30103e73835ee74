package session

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/alexedwards/scs/redisstore"
	"github.com/gomodule/redigo/redis"
)

// ErrBadRedisURL is wrapped when a Redis URL cannot be used.
var ErrBadRedisURL = errors.New("invalid Redis URL")

// NewRedisStore returns scs's Redis store, for sessions shared by many app
// instances without touching the database: a pool dialling redisURL
// (redis://[:password@]host:6379/0 or rediss://…), keys under prefix
// (default "quarry:session:"). Close the pool when done.
func NewRedisStore(redisURL, prefix string) (*redisstore.RedisStore, *redis.Pool, error) {
	u, err := url.Parse(redisURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, nil, fmt.Errorf("%w: want redis://host:6379/0", ErrBadRedisURL)
	}
	if prefix == "" {
		prefix = "quarry:session:"
	}
	pool := &redis.Pool{
		MaxIdle:     10,
		IdleTimeout: 4 * time.Minute,
		Dial: func() (redis.Conn, error) {
			return redis.DialURL(redisURL, redis.DialConnectTimeout(5*time.Second))
		},
		TestOnBorrow: func(c redis.Conn, t time.Time) error {
			if time.Since(t) < time.Minute {
				return nil
			}
			_, err := c.Do("PING")
			return err
		},
	}
	c := pool.Get()
	defer c.Close()
	if _, err := c.Do("PING"); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("connect to Redis at %s: %w", u.Host, err)
	}
	return redisstore.NewWithPrefix(pool, prefix), pool, nil
}
