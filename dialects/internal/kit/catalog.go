package kit

import (
	"context"

	"github.com/quarry-go/quarry/queries"
)

// EachRow runs q and calls each with the scan function of every row it
// returns, stopping at the first error.
func EachRow(ctx context.Context, db queries.DBTX, q string, each func(scan func(dest ...any) error) error, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
