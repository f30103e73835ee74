package kit

import (
	"context"

	"github.com/quarry-go/quarry/queries"
)

// QueryAll runs q and returns a T for each row, whose columns are scanned
// into the destinations dest returns for it, in order.
func QueryAll[T any](ctx context.Context, db queries.DBTX, q string, dest func(row *T) []any, args ...any) ([]T, error) {
	var out []T
	err := EachRow(ctx, db, q, func(scan func(dest ...any) error) error {
		var row T
		if err := scan(dest(&row)...); err != nil {
			return err
		}
		out = append(out, row)
		return nil
	}, args...)
	return out, err
}
