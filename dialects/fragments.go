package dialects

// Fragments are the pieces of SQL text that differ between databases in
// the statements the framework builds at run time (the admin's lists,
// forms and searches), so that code outside dialects/ never asks which
// database it is on.
type Fragments interface {
}
