package kit

import (
	"context"

	"github.com/quarry-go/quarry/queries"
)

// QueryAll runs q and returns a T for each row, whose columns are scanned
// into the destinations dest returns for it, in order.
func QueryAll[T any](ctx context.Context, db queries.DBTX, q string, dest func(row *T) []any, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var row T
		if err := rows.Scan(dest(&row)...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
