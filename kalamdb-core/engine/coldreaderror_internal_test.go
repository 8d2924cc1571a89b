package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestTranslateColdReadFailure: a failure to read cold files that
// reaches translateError unclassified (a cursor meeting a damaged page)
// answered SQL_EXECUTION_ERROR with the storage's text, naming the
// file's path. It is now the typed unreadable error; the path stays in
// the cause, for the log.
func TestTranslateColdReadFailure(t *testing.T) {
	for _, cause := range []error{
		fmt.Errorf("cold: read app/msgs/u_alice/batch-2-0123456789abcdef.parquet: %w: zstd: bad checksum", cold.ErrCorrupt),
		fmt.Errorf("cold: open app/msgs/u_alice/batch-3.parquet: %w", &fs.PathError{Op: "open", Path: "/data/storage/app/msgs/u_alice/batch-3.parquet", Err: fs.ErrNotExist}),
		fmt.Errorf("cold: read s3://bucket/app/x.parquet: %w", cold.ErrUnreachable),
	} {
		e, ok := apierror.As(translateError(cause))
		if !ok || e.Code != apierror.SQLExecutionError || !strings.Contains(e.Message, "cold data is unreadable") {
			t.Errorf("%v: translated to %v", cause, e)
			continue
		}
		for _, leak := range []string{".parquet", "u_alice", "bucket", "cold:", "/data"} {
			if strings.Contains(e.Message, leak) {
				t.Errorf("message %q shows %q", e.Message, leak)
			}
		}
		if !errors.Is(e, cause) {
			t.Errorf("%v: the cause is not kept", cause)
		}
	}
	// The engine's own errors keep their text.
	if e, _ := apierror.As(translateError(errors.New("division by zero"))); e == nil || e.Message != "division by zero" {
		t.Errorf("an engine error: %v", e)
	}
}
