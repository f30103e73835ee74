// Package middleware holds the framework's HTTP middleware, each a plain
// func(http.Handler) http.Handler: [Observe] (request ids, the client
// address behind trusted proxies and the access log, in one layer) and
// [Recover] (panic recovery).
package middleware
