package schemadiff

import "strings"

// statement is one SQL statement and the line it starts on.
type statement struct {
	SQL  string
	Line int
}

// splitStatements splits SQL text on semicolons that end a statement,
// ignoring those inside quotes, comments and PostgreSQL dollar-quoted
// bodies ($$ … $$, $fn$ … $fn$). Statements holding only comments are
// dropped.
func splitStatements(src string) []statement {
	var out []statement
	var b strings.Builder
	line, start := 1, 1
	flush := func() {
		text := strings.TrimSpace(b.String())
		if text != "" && !onlyComments(text) {
			out = append(out, statement{SQL: text, Line: start})
		}
		b.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if b.Len() == 0 || strings.TrimSpace(b.String()) == "" {
			start = line
		}
		switch {
		case c == '\n':
			line++
			b.WriteByte(c)
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			b.WriteString(src[i : i+end])
			i += end - 1
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 2
			} else {
				end += 2
			}
			chunk := src[i : i+2+end]
			line += strings.Count(chunk, "\n")
			b.WriteString(chunk)
			i += 1 + end
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(src) {
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				if src[j] == '\\' && c != '"' {
					j++
				}
				j++
			}
			if j >= len(src) {
				j = len(src) - 1
			}
			chunk := src[i : j+1]
			line += strings.Count(chunk, "\n")
			b.WriteString(chunk)
			i = j
		case c == '$':
			if tag, ok := dollarTag(src[i:]); ok {
				end := strings.Index(src[i+len(tag):], tag)
				if end < 0 {
					end = len(src) - i - len(tag)
				} else {
					end += len(tag)
				}
				chunk := src[i : i+len(tag)+end]
				line += strings.Count(chunk, "\n")
				b.WriteString(chunk)
				i += len(tag) + end - 1
				continue
			}
			b.WriteByte(c)
		case c == ';' && inTriggerBody(b.String()):
			b.WriteByte(c) // a statement inside CREATE TRIGGER … BEGIN … END
		case c == ';':
			flush()
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return out
}

// inTriggerBody reports whether text is a CREATE TRIGGER whose BEGIN …
// END body has not ended yet.
func inTriggerBody(text string) bool {
	words := strings.Fields(strings.ToUpper(stripComments(text)))
	if len(words) < 2 || words[0] != "CREATE" {
		return false
	}
	i := 1
	if words[i] == "TEMP" || words[i] == "TEMPORARY" {
		i++
	}
	if i >= len(words) || words[i] != "TRIGGER" {
		return false
	}
	hasBegin := false
	for _, w := range words {
		if w == "BEGIN" {
			hasBegin = true
		}
	}
	return hasBegin && words[len(words)-1] != "END"
}

// stripComments drops -- comment lines (enough to find keywords).
func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// dollarTag returns the $tag$ that s starts with, if any.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1], true
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9') {
			return "", false
		}
	}
	return "", false
}

func onlyComments(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "--") {
			return false
		}
	}
	return true
}
