package api

import (
	"fmt"
	"slices"

	"github.com/quarry-go/quarry/framework/introspect"
)

// describe adds the resources' paths and schemas to an OpenAPI document:
// for each table a schema of its rows (from the columns' types,
// nullability, lengths, enums and foreign keys), one of what a create
// sends, and the list answer.
func (rs *resources) describe(paths map[string]map[string]any, schemas map[string]any) {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	for _, res := range rs.list {
		t := res.t
		props := map[string]any{}
		in := map[string]any{}
		var required []string
		for _, c := range t.Columns {
			s := columnSchema(c, false)
			if fk, ok := t.FKs[c.Name]; ok {
				s["description"] = fmt.Sprintf("refers to %s.%s", fk.RefTable, fk.RefColumns[0])
			}
			props[c.Name] = s
			if t.Writable(c, true) {
				in[c.Name] = columnSchema(c, true)
				if !c.Nullable && !c.HasDefault() {
					required = append(required, c.Name)
				}
			}
		}
		for name, e := range res.expand {
			props[name] = map[string]any{"description": fmt.Sprintf("the %s row %s refers to, with expand=%s", e.target.Table, e.col.Name, name),
				"oneOf": []any{ref(e.target.Table), map[string]any{"type": "null"}}}
		}
		schemas[res.Table] = map[string]any{"type": "object", "properties": props, "additionalProperties": false,
			"description": "a row of " + res.Table + " (fields= answers some of the fields; expand= adds the rows foreign keys refer to)"}
		write := map[string]any{"type": "object", "properties": in, "additionalProperties": false}
		if required != nil {
			slices.Sort(required)
			write["required"] = required
		}
		schemas[res.Table+"_write"] = write
		nullString := map[string]any{"type": []string{"string", "null"}}
		schemas[res.Table+"_list"] = map[string]any{"type": "object", "required": []string{"items", "next", "previous"}, "additionalProperties": false,
			"properties": map[string]any{
				"items": map[string]any{"type": "array", "items": ref(res.Table)},
				"next":  nullString, "previous": nullString,
				"count": map[string]any{"type": []string{"integer", "null"}, "description": fmt.Sprintf("with numbered pages: the rows matched, null past %d", CountCap)},
			}}

		jsonAPI := map[string]any{"schema": map[string]any{"type": "object", "required": []string{"data"}}}
		answer := func(desc, schema string) map[string]any {
			return map[string]any{"description": desc, "content": map[string]any{
				"application/json": map[string]any{"schema": ref(schema)}, JSONAPIType: jsonAPI}}
		}
		errs := func(codes map[string]string) map[string]any {
			out := map[string]any{"401": problem("not logged in"), "500": problem("an unexpected error (its request id is in the log)")}
			for code, desc := range codes {
				out[code] = problem(desc)
			}
			return out
		}
		with := func(m map[string]any, code string, r any) map[string]any { m[code] = r; return m }
		perm := func(action string) string { return res.Table + "." + action }
		op := func(id, summary, action string, responses map[string]any) map[string]any {
			if action == "view" && res.Public {
				delete(responses, "401")
				return map[string]any{"operationId": id, "summary": summary, "responses": responses, "tags": []string{res.Table}}
			}
			if responses["403"] == nil {
				responses["403"] = problem("the permission " + perm(action) + " is missing")
			}
			return map[string]any{"operationId": id, "summary": summary, "x-quarry-permission": perm(action), "responses": responses, "tags": []string{res.Table}}
		}
		param := func(name, in, desc string, s map[string]any) map[string]any {
			return map[string]any{"name": name, "in": in, "description": desc, "required": in == "path", "schema": s}
		}
		str := map[string]any{"type": "string"}
		readParams := []any{
			param("fields", "query", "the fields to answer, comma-separated", str),
			param("expand", "query", "foreign keys to answer with the rows they refer to, comma-separated, dotted for depth (at most 2)", str),
		}
		listParams := append([]any{
			param("search", "query", "words that must each be in one of the searched columns", str),
			param("ordering", "query", "columns to sort by, comma-separated, - for descending", str),
			param("cursor", "query", "the page a next or previous link names", str),
			param("page", "query", "a page number (numbered pages, with count)", map[string]any{"type": "integer", "minimum": 1}),
			param("page_size", "query", fmt.Sprintf("rows per page (default %d)", res.perPage), map[string]any{"type": "integer", "minimum": 1, "maximum": MaxPageSize}),
		}, readParams...)
		for _, name := range res.filterNames() {
			c, _ := t.Column(name)
			for _, lookup := range lookupsOf(c) {
				pname := name
				if lookup != "" {
					pname += "__" + lookup
				}
				listParams = append(listParams, param(pname, "query", "filter: "+filterDoc(lookup), str))
			}
		}
		key := param("key", "path", "the row's primary key (values comma-separated)", str)
		list := map[string]any{"get": func() map[string]any {
			o := op("list_"+res.Table, "List "+res.Table, "view", with(errs(map[string]string{"400": "a parameter is not valid (errors says which), or a numbered page too deep"}),
				"200", answer("a page of rows", res.Table+"_list")))
			o["parameters"] = listParams
			return o
		}()}
		row := map[string]any{"get": func() map[string]any {
			o := op("get_"+res.Table, "Read a row of "+res.Table, "view", with(errs(map[string]string{"400": "fields or expand is not valid", "404": "no row has this key"}),
				"200", answer("the row (its ETag is its version)", res.Table)))
			o["parameters"] = append([]any{key}, readParams...)
			return o
		}()}
		if !t.ReadOnly {
			body := map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(res.Table + "_write")},
				JSONAPIType: map[string]any{"schema": map[string]any{"type": "object", "required": []string{"data"}}}}}
			patchBody := map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
				"type": "object", "properties": in, "additionalProperties": false}}}}
			writeErrs := map[string]string{"400": "the body is not one JSON object", "409": "a unique value is taken, the row changed since If-Match, or a concurrent change conflicted",
				"413": "the body is too large", "415": "the body is not JSON", "422": "a field is not valid: errors says which"}
			create := op("create_"+res.Table, "Create a row of "+res.Table, "add", with(errs(writeErrs), "201", answer("the row created (Location names it)", res.Table)))
			create["requestBody"] = body
			list["post"] = create
			ifMatch := param("If-Match", "header", "the row's ETag: the write happens only if the row is still that version (else 409)", str)
			writeErrs["404"] = "no row has this key"
			patch := op("patch_"+res.Table, "Change fields of a row of "+res.Table, "change", with(errs(writeErrs), "200", answer("the row changed", res.Table)))
			patch["requestBody"], patch["parameters"] = patchBody, []any{key, ifMatch}
			put := op("put_"+res.Table, "Replace the writable fields of a row of "+res.Table, "change", with(errs(writeErrs), "200", answer("the row changed", res.Table)))
			put["requestBody"], put["parameters"] = body, []any{key, ifMatch}
			del := op("delete_"+res.Table, "Delete a row of "+res.Table, "delete", with(errs(map[string]string{"404": "no row has this key",
				"403": "the permission " + perm("delete") + " is missing, or deleting the row would delete or change rows of a table the caller may not",
				"409": "other rows still refer to this row, or it changed since If-Match"}), "204", map[string]any{"description": "deleted"}))
			del["parameters"] = []any{key, ifMatch}
			row["patch"], row["put"], row["delete"] = patch, put, del
		}
		paths[res.path+"/"] = list
		paths[res.path+"/{key}"] = row
	}
}

// lookupsOf are the filters a column offers ("" is exact).
func lookupsOf(c *introspect.Column) []string {
	out := []string{""}
	switch c.Kind {
	case introspect.KindText, introspect.KindLongText, introspect.KindEnum, introspect.KindUUID:
		out = append(out, "iexact", "icontains", "istartswith", "iendswith", "in")
		if c.Kind == introspect.KindEnum || c.Kind == introspect.KindUUID {
			break
		}
		fallthrough
	case introspect.KindInt, introspect.KindFloat, introspect.KindDecimal, introspect.KindDate, introspect.KindDateTime, introspect.KindTime:
		out = append(out, "gt", "gte", "lt", "lte")
		if !slices.Contains(out, "in") {
			out = append(out, "in")
		}
	}
	if c.Nullable {
		out = append(out, "isnull")
	}
	return out
}

func filterDoc(lookup string) string {
	return map[string]string{"": "equal to", "iexact": "equal to, ignoring case", "icontains": "contains, ignoring case",
		"istartswith": "starts with, ignoring case", "iendswith": "ends with, ignoring case", "gt": "greater than",
		"gte": "greater than or equal to (a date: from that day)", "lt": "less than (a date: before that day)", "lte": "less than or equal to",
		"in": "one of, comma-separated", "isnull": "true: is null; false: is not null"}[lookup]
}

// columnSchema is the JSON schema of a column's values, as answered or,
// with input, as a write sends them (a decimal may be a number too).
func columnSchema(c *introspect.Column, input bool) map[string]any {
	var s map[string]any
	switch c.Kind {
	case introspect.KindInt:
		s = map[string]any{"type": "integer"}
		if c.Bits == 32 || c.Bits == 64 {
			s["format"] = fmt.Sprintf("int%d", c.Bits)
		}
		if c.Unsigned {
			s["minimum"] = 0
		}
	case introspect.KindFloat:
		s = map[string]any{"type": "number"}
	case introspect.KindDecimal:
		s = map[string]any{"type": "string", "description": "a decimal number, exact, as text", "pattern": `^[+-]?(\d+(\.\d*)?|\.\d+)$`}
		if input {
			s = map[string]any{"type": []string{"string", "number"}, "description": "a decimal number (as text to keep it exact)"}
		}
	case introspect.KindBool:
		s = map[string]any{"type": "boolean"}
	case introspect.KindDate:
		s = map[string]any{"type": "string", "format": "date"}
	case introspect.KindDateTime:
		s = map[string]any{"type": "string", "format": "date-time"}
	case introspect.KindUUID:
		s = map[string]any{"type": "string", "format": "uuid"}
	case introspect.KindEnum:
		s = map[string]any{"type": "string", "enum": slices.Clone(c.Enum)}
	case introspect.KindJSON:
		return map[string]any{}
	default:
		s = map[string]any{"type": "string"}
		if c.MaxLength > 0 {
			s["maxLength"] = c.MaxLength
		}
	}
	if c.Nullable {
		switch ty := s["type"].(type) {
		case string:
			s["type"] = []string{ty, "null"}
		case []string:
			s["type"] = append(ty, "null")
		}
		if e, ok := s["enum"].([]string); ok {
			s["enum"] = append(slices.Clone(anySlice(e)), nil)
		}
	}
	return s
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
