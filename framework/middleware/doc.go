// Package middleware holds the framework's HTTP middleware, each a plain
// func(http.Handler) http.Handler: request ids, the access log and panic
// recovery, and the client address behind trusted proxies.
package middleware
