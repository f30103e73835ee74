package schemadiff

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	t.Parallel()
	src := "-- header\nCREATE TABLE a (x TEXT DEFAULT 'a;b');\n\n/* c; */ CREATE TABLE `b;` (y INT); -- trailing\n" +
		"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n" +
		"CREATE FUNCTION g() RETURNS int AS $body$\nBEGIN RETURN 2; END;\n$body$ LANGUAGE plpgsql;\n-- only a comment;\n" +
		"CREATE TRIGGER t AFTER UPDATE ON a BEGIN UPDATE a SET x = 1; UPDATE a SET x = 2; END;\nCREATE TRIGGER pg BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();\n"
	var got []string
	var lines []int
	for _, s := range splitStatements(src) {
		got = append(got, s.SQL)
		lines = append(lines, s.Line)
	}
	want := []string{
		"-- header\nCREATE TABLE a (x TEXT DEFAULT 'a;b')",
		"/* c; */ CREATE TABLE `b;` (y INT)",
		"-- trailing\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
		"CREATE FUNCTION g() RETURNS int AS $body$\nBEGIN RETURN 2; END;\n$body$ LANGUAGE plpgsql",
		"-- only a comment;\nCREATE TRIGGER t AFTER UPDATE ON a BEGIN UPDATE a SET x = 1; UPDATE a SET x = 2; END",
		"CREATE TRIGGER pg BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if wantLines := []int{1, 4, 4, 6, 9, 11}; !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("lines = %v; want %v", lines, wantLines)
	}
}
