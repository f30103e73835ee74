// Package apitest helps tests of APIs served by package api: it checks
// an OpenAPI document and returns the validator of the answers.
package apitest

import (
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// Validator checks spec against the OpenAPI 3.1 specification
// (libopenapi-validator, a maintained validator that covers 3.1), failing
// t with each problem, and returns the validator of requests and answers.
func Validator(t testing.TB, spec []byte) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("the OpenAPI document is invalid: %s (%s)", e.Message, e.Reason)
		}
		t.FailNow()
	}
	return v
}
