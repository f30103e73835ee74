package api

import (
	"net/http"

	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework"
)

type tagJSON struct {
	Name      string `json:"name"`
	PostCount int64  `json:"post_count"`
}

func (h *handlers) tagList(w http.ResponseWriter, r *http.Request) {
	rows, err := db.Queries(framework.DatabaseFrom(r.Context())).TagList(r.Context())
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	out := make([]tagJSON, len(rows))
	for i, t := range rows {
		out[i] = tagJSON{Name: t.Name, PostCount: t.PostCount}
	}
	framework.WriteJSON(w, http.StatusOK, map[string]any{"tags": out})
}
