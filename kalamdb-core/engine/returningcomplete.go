package engine

import (
	"context"
	"errors"
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// The engine brackets a write with its table editors' StatementBegin and
// StatementComplete (plan.TableEditorIter), and the editors refuse there
// what is decided for the statement as a whole: editor.StatementComplete
// refuses a role that may not write the table even when the write
// changed no row. For a write with RETURNING the engine drops that
// bracket (rowexec.AddAccumulatorIter unwraps the TableEditorIter and
// hands out the insert's or update's own iterator), so such a write
// answered success, and UPDATE ... SET v = v returned rows it may not
// write. returningComplete puts the end of the bracket back.

// returningComplete is the iterator of an INSERT or UPDATE with a
// RETURNING list: at the end of its rows it completes the statement on
// the target table's editor, whose refusal fails the statement.
type returningComplete struct {
	child  sql.RowIter
	editor statementEditor
	done   bool
}

// statementEditor is what RowInserter and RowUpdater have in common.
type statementEditor interface {
	sql.EditOpenerCloser
	sql.Closer
}

var _ sql.MutableRowIter = (*returningComplete)(nil)

// buildReturning has main build n, an INSERT or UPDATE with RETURNING,
// and wraps its iterator in a returningComplete.
func (b *checkedBuilder) buildReturning(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	inner := context.WithValue(context.WithValue(ctx, passKey{}, &passToken{}), groupsKey{}, (*groupTracker)(nil))
	it, err := b.main.Build(ctx.WithContext(inner), n, r)
	if err != nil {
		return nil, err
	}
	return completingReturning(ctx, n, it)
}

// completingReturning wraps it, the iterator of n (an INSERT or UPDATE
// with RETURNING), in a returningComplete; other nodes' iterators are
// returned as they are.
func completingReturning(ctx *sql.Context, n sql.Node, it sql.RowIter) (sql.RowIter, error) {
	var editor statementEditor
	switch n := n.(type) {
	case *plan.InsertInto:
		ins, err := plan.GetInsertable(n.Destination)
		if err != nil {
			return nil, err
		}
		editor = ins.Inserter(ctx)
	case *plan.Update:
		upd, err := plan.GetUpdatable(n.Child)
		if err != nil {
			return nil, err
		}
		editor = upd.Updater(ctx)
	default:
		return it, nil
	}
	return &returningComplete{child: it, editor: editor}, nil
}

func (it *returningComplete) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.child.Next(ctx)
	if errors.Is(err, io.EOF) && !it.done {
		it.done = true
		if cerr := it.editor.StatementComplete(ctx); cerr != nil {
			return nil, cerr
		}
	}
	return row, err
}

func (it *returningComplete) Close(ctx *sql.Context) error {
	err := it.child.Close(ctx)
	if cerr := it.editor.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// GetChildIter and WithChildIter let the engine look through the wrapper
// (it unwraps the write's TableEditorIter below it).
func (it *returningComplete) GetChildIter() sql.RowIter { return it.child }

func (it *returningComplete) WithChildIter(child sql.RowIter) sql.RowIter {
	return &returningComplete{child: child, editor: it.editor, done: it.done}
}
