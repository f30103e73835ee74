package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/framework"
)

// Info describes the API in its OpenAPI document.
type Info struct {
	Title   string
	Version string
	// Description is Markdown shown above the operations.
	Description string
}

// OpenAPI returns the OpenAPI 3.1 document of the endpoints: each
// operation (its id the query's name, its summary the query's first doc
// line) with its parameters, request body and responses, whose schemas
// come from the query's Go types; the permission an endpoint needs is
// in x-quarry-permission, and its error answers are problem details.
func OpenAPI(info Info, endpoints []Endpoint) ([]byte, error) {
	return document(info, endpoints, nil)
}

// document is the OpenAPI document of the endpoints and the resources.
func document(info Info, endpoints []Endpoint, rs *resources) ([]byte, error) {
	if info.Title == "" {
		info.Title = "API"
	}
	if info.Version == "" {
		info.Version = "1"
	}
	paths := map[string]map[string]any{}
	for _, e := range endpoints {
		op, err := operation(e)
		if err != nil {
			return nil, err
		}
		if paths[e.Path] == nil {
			paths[e.Path] = map[string]any{}
		}
		paths[e.Path][strings.ToLower(e.Method)] = op
	}
	schemas := map[string]any{"Problem": problemSchema}
	if rs != nil {
		rs.describe(paths, schemas)
	}
	i := map[string]any{"title": info.Title, "version": info.Version}
	if info.Description != "" {
		i["description"] = info.Description
	}
	doc := map[string]any{
		"openapi":    "3.1.0",
		"info":       i,
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// problemSchema is the schema of a problem details body.
var problemSchema = map[string]any{"type": "object", "required": []string{"type", "title", "status", "error"},
	"properties": map[string]any{
		"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
		"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
		"error": map[string]any{"type": "string"}, "request_id": map[string]any{"type": "string"},
		"errors": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"},
			"description": "the problem of each parameter or field, by name (400, 422, 409)"},
	}}

// problem is the response of an error status.
func problem(desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{
		framework.ProblemContentType: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
}

// operation is one endpoint's operation object.
func operation(e Endpoint) (map[string]any, error) {
	op := map[string]any{"operationId": e.Query}
	if doc := strings.TrimSpace(e.Doc); doc != "" {
		summary, _, _ := strings.Cut(doc, "\n")
		op["summary"] = summary
		op["description"] = doc
	}
	var params []any
	body := map[string]any{}
	var required []string
	for _, p := range e.Params {
		s, err := schemaOf(p.Type)
		if err != nil {
			return nil, fmt.Errorf("api: %s: parameter %s: %w", e.Query, p.Name, err)
		}
		if p.In == InBody {
			body[p.Name] = s
			if p.Required {
				required = append(required, p.Name)
			}
			continue
		}
		params = append(params, map[string]any{"name": p.Name, "in": string(p.In), "required": p.Required || p.In == InPath, "schema": s})
	}
	if params != nil {
		op["parameters"] = params
	}
	responses := map[string]any{"400": problem("a malformed request"), "500": problem("an unexpected error (its request id is in the log)")}
	if len(body) > 0 {
		obj := map[string]any{"type": "object", "properties": body, "additionalProperties": false}
		if required != nil {
			obj["required"] = required
		}
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": obj}}}
		responses["400"] = problem("a malformed query string, or a body that is not one JSON object")
		responses["413"] = problem("the body is too large")
		responses["415"] = problem("the body is not JSON")
	}
	if len(e.Params) > 0 || len(body) > 0 {
		responses["422"] = problem("invalid parameters: errors says which and why")
	}
	if e.Permission != "" {
		op["x-quarry-permission"] = e.Permission
		responses["401"] = problem("not logged in")
		responses["403"] = problem("the permission " + e.Permission + " is missing")
	}
	if e.Method != http.MethodGet {
		responses["409"] = problem("a unique value is taken, or a concurrent change conflicted")
	}
	ok, err := success(e)
	if err != nil {
		return nil, err
	}
	for code, r := range ok {
		responses[code] = r
	}
	op["responses"] = responses
	return op, nil
}

// success is the answers of a query that succeeded.
func success(e Endpoint) (map[string]any, error) {
	jsonOf := func(desc string, s map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": s}}}
	}
	object := func(name string, s map[string]any) map[string]any {
		return map[string]any{"type": "object", "required": []string{name}, "properties": map[string]any{name: s}, "additionalProperties": false}
	}
	code := "200"
	if e.Method == http.MethodPost && (e.Kind == One || e.Kind == ExecLastID) {
		code = "201"
	}
	switch e.Kind {
	case Exec:
		return map[string]any{"204": map[string]any{"description": "done"}}, nil
	case ExecRows:
		return map[string]any{code: jsonOf("the number of rows changed", object("rows_affected", map[string]any{"type": "integer"}))}, nil
	case ExecLastID:
		return map[string]any{code: jsonOf("the id inserted", object("result", map[string]any{"type": "integer"}))}, nil
	}
	row, err := resultSchema(e)
	if err != nil {
		return nil, err
	}
	if e.Kind == Many {
		return map[string]any{code: jsonOf("the rows", object("items", map[string]any{"type": "array", "items": row}))}, nil
	}
	if e.ResultFields == nil {
		row = object("result", row)
	}
	return map[string]any{code: jsonOf("the row", row), "404": problem("no row matches")}, nil
}

// resultSchema is the schema of one result row (or value).
func resultSchema(e Endpoint) (map[string]any, error) {
	if e.ResultFields == nil {
		if e.Result == "" {
			return map[string]any{}, nil // not said: any value
		}
		s, err := schemaOf(strings.TrimPrefix(e.Result, "[]"))
		if err != nil {
			return nil, fmt.Errorf("api: %s: result: %w", e.Query, err)
		}
		return s, nil
	}
	props := map[string]any{}
	names := make([]string, 0, len(e.ResultFields))
	for _, f := range e.ResultFields {
		s, err := schemaOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("api: %s: result field %s: %w", e.Query, f.Name, err)
		}
		props[f.Name] = s
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return map[string]any{"type": "object", "properties": props, "required": names, "additionalProperties": false}, nil
}

// schemas are the JSON schemas of the Go types of parameters and result
// fields; a sql.Null type is its value's, or null.
var schemas = map[string]map[string]any{
	"string":          {"type": "string"},
	"int64":           {"type": "integer", "format": "int64"},
	"int32":           {"type": "integer", "format": "int32"},
	"int16":           {"type": "integer", "format": "int32", "minimum": -32768, "maximum": 32767},
	"int":             {"type": "integer", "format": "int64"},
	"float64":         {"type": "number", "format": "double"},
	"float32":         {"type": "number", "format": "float"},
	"bool":            {"type": "boolean"},
	"time.Time":       {"type": "string", "format": "date-time"},
	"[]byte":          {"type": "string", "contentEncoding": "base64"},
	"json.RawMessage": {},
	"interface{}":     {},
	"any":             {},
}

// schemaOf is the JSON schema of Go type t.
func schemaOf(t string) (map[string]any, error) {
	if inner, ok := strings.CutPrefix(t, "sql.Null"); ok {
		base := map[string]string{"String": "string", "Int64": "int64", "Int32": "int32", "Int16": "int16",
			"Float64": "float64", "Bool": "bool", "Time": "time.Time", "Byte": "int32"}[inner]
		s, ok := schemas[base]
		if !ok {
			return nil, fmt.Errorf("no JSON schema for %s", t)
		}
		out := map[string]any{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = []string{s["type"].(string), "null"}
		return out, nil
	}
	s, ok := schemas[t]
	if !ok {
		return nil, fmt.Errorf("no JSON schema for %s", t)
	}
	return s, nil
}
