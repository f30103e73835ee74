// Package schemadiff computes the goose migration that takes a database
// from the state its existing migrations build to the state its DDL
// describes, and proves it before anyone writes it.
//
// Both states are built in scratch databases — SQLite in memory, a
// temporary database on a development server for PostgreSQL and MySQL,
// always dropped afterwards — then inspected and diffed with Atlas
// (ariga.io/atlas). The down migration is the plan of the reverse diff. The
// candidate file is applied with goose to the scratch database of the
// current state; it must re-diff to nothing against the DDL, and its down
// must bring the schema back to where it started. Destructive changes are
// refused unless allowed, naming each one.
package schemadiff
