package engine

import (
	"bytes"
	"errors"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

// Inserter implements sql.InsertableTable.
func (t *dataTable) Inserter(*sql.Context) sql.RowInserter { return &editor{t: t} }

// Updater implements sql.UpdatableTable.
func (t *dataTable) Updater(*sql.Context) sql.RowUpdater { return &editor{t: t} }

// Deleter implements sql.DeletableTable.
func (t *dataTable) Deleter(*sql.Context) sql.RowDeleter { return &editor{t: t} }

// editor turns the engine's row edits into versioned writes in the
// session's transaction. Nothing reaches RocksDB before the transaction
// commits, so a failed statement leaves no trace.
type editor struct {
	t *dataTable
	// eventMs is the time of the newest event of the STREAM partition
	// written (read once, then the last this editor stamped): events are
	// never stamped before it (tables.EventMillis).
	eventMs   int64
	eventRead bool
}

func (ed *editor) StatementBegin(*sql.Context)              {}
func (ed *editor) DiscardChanges(*sql.Context, error) error { return nil }
func (ed *editor) Close(*sql.Context) error                 { return nil }

// StatementComplete refuses the statement when the role may not write the
// table. Update, Delete and Insert check it too, but the engine calls
// them only for rows that change: an UPDATE whose new values equal the
// old ones, or a write that matches no row, called none of them and
// answered success to a role that may not write here (PostgreSQL refuses
// such a statement as it plans it). Nothing was written in that case.
func (ed *editor) StatementComplete(*sql.Context) error { return ed.checkWrite() }

func (ed *editor) tx() (*txn.Tx, error) {
	if ed.t.sess.tx == nil {
		return nil, apierror.New(apierror.InternalError, "write outside a transaction")
	}
	return ed.t.sess.tx, nil
}

func (ed *editor) checkWrite() error {
	return authz.WriteTable(ed.t.sess.Role, ed.t.shape.Meta)
}

// userValues normalises the user columns of an engine row to their stored
// Go types, enforcing NOT NULL and the type's limits.
func (ed *editor) userValues(r sql.Row) ([]any, error) {
	s := ed.t.shape
	if len(r) < s.NUser {
		return nil, apierror.New(apierror.InternalError, "row has %d values, table %s has %d columns", len(r), s.Meta.TableID, s.NUser)
	}
	vals := make([]any, s.NUser)
	for i, c := range s.Schema.Columns {
		v := r[i]
		if v == nil {
			if !c.Nullable {
				return nil, apierror.New(apierror.InvalidInput, "column %s is NOT NULL but got NULL", c.Name)
			}
			continue
		}
		nv, err := row.Normalize(c.Type, v)
		if err != nil {
			return nil, columnValueError(c.Name, err)
		}
		vals[i] = nv
	}
	return vals, nil
}

// columnValueError is the error of a value column name cannot hold; one
// of another type is refused in the words of assign's type check.
func columnValueError(name string, err error) error {
	if m := (*row.TypeMismatch)(nil); errors.As(err, &m) {
		return sqlError("column %s is of type %s but expression is of type %s", name, m.Column, m.Value)
	}
	return apierror.New(apierror.InvalidInput, "column %s: %v", name, err)
}

// eventMillis is the time of the next event of the editor's STREAM
// partition: the wall clock, but never before the partition's newest
// event, so that keys follow arrival order after the clock steps back
// (tables.EventMillis says why).
func (ed *editor) eventMillis() (int64, error) {
	now := time.Now().UnixMilli()
	if !ed.eventRead {
		ms, ok, err := tables.NewestEventMillis(ed.t.shape.CF, ed.t.owner)
		if err != nil {
			return 0, tableError(ed.t.shape, err)
		}
		ttl := ed.t.shape.Meta.TTL().Milliseconds()
		ed.eventMs, ed.eventRead = tables.EventMillis(now, ms, ok, ttl), true
	}
	ed.eventMs = max(ed.eventMs, now)
	return ed.eventMs, nil
}

// key returns the hot key of a row: the partition prefix and the encoded
// primary key, or for STREAM tables the partition prefix, event time and
// _seq.
func (ed *editor) key(vals []any, seq int64) ([]byte, error) {
	s := ed.t.shape
	if s.IsStream() {
		ms, err := ed.eventMillis()
		if err != nil {
			return nil, err
		}
		return keyenc.StreamKey(ed.t.owner, ms, seq), nil
	}
	if s.PK < 0 {
		return row.AppendKey(append([]byte(nil), ed.t.prefix...), dialect.DataType{Name: dialect.TypeBigInt}, seq)
	}
	k, err := row.AppendKey(append([]byte(nil), ed.t.prefix...), s.PKType, vals[s.PK])
	if err != nil {
		return nil, apierror.New(apierror.InvalidInput, "primary key %s: %v", s.Schema.Columns[s.PK].Name, err)
	}
	return k, nil
}

func (ed *editor) encode(vals []any, seq int64, deleted bool) ([]byte, error) {
	s := ed.t.shape
	h := row.Header{SchemaVersion: s.Schema.Version, Seq: seq, Deleted: deleted}
	v, err := row.Encode(nil, h, s.Schema, vals)
	if err != nil {
		return nil, apierror.New(apierror.InvalidInput, "table %s: %v", s.Meta.TableID, err)
	}
	return v, nil
}

// Insert implements sql.RowInserter. Primary key uniqueness is checked
// here against the transaction and the committed rows (a generated key of
// a clean table against the transaction alone, txn.Tx.InsertsLive), and
// again at commit against concurrent commits. go-mysql-server hands whole rows, with no
// trace of which values were DEFAULTs, so a primary key it gives counts as
// written explicitly (txn.Write.Generated) unless it is the BIGINT id
// SNOWFLAKE_ID() issued last in the statement and no other row took
// (Session.takeID): a DEFAULT SNOWFLAKE_ID() key of a row the engine plans.
func (ed *editor) Insert(ctx *sql.Context, r sql.Row) error {
	seq, err := ed.insert(ctx, r, false)
	if err == nil && ed.t.sess.returning {
		ed.written(r, seq, false)
	}
	return err
}

// written fills in the system columns of a row the statement wrote, for
// its RETURNING list to read (Session.returning): the _seq of the version
// written and whether it is a delete. The engine evaluates RETURNING over
// this very row once the editor returns.
func (ed *editor) written(r sql.Row, seq int64, deleted bool) {
	s := ed.t.shape
	if len(r) > s.SeqIndex() {
		r[s.SeqIndex()] = seq
	}
	if !s.IsStream() && len(r) > s.DeletedIndex() {
		r[s.DeletedIndex()] = boolValue(deleted)
	}
}

// issuedKey reports whether vals' primary key is an id the statement's
// SNOWFLAKE_ID() issued for this write alone (Session.takeID), stored as
// it is: a BIGINT key, so no conversion could give two ids one key.
func (ed *editor) issuedKey(vals []any) bool {
	s := ed.t.shape
	if s.IsStream() || s.PK < 0 || s.PKType.Name != dialect.TypeBigInt {
		return false
	}
	id, ok := vals[s.PK].(int64)
	return ok && id != 0 && ed.t.sess.takeID(id)
}

// keyFromSeq reports whether the table's keys are made of the _seq of
// each row's first version (tables without a primary key, streams): the
// generator issues it to the inserting statement.
func (ed *editor) keyFromSeq() bool {
	return ed.t.shape.IsStream() || ed.t.shape.PK < 0
}

// insert is Insert of a row whose primary key the statement generated
// (generatedPK: a SNOWFLAKE_ID() DEFAULT the fast path computed, or
// issuedKey) or not. It returns the _seq of the version written.
func (ed *editor) insert(ctx *sql.Context, r sql.Row, generatedPK bool) (int64, error) {
	if err := ed.checkWrite(); err != nil {
		return 0, err
	}
	tx, err := ed.tx()
	if err != nil {
		return 0, err
	}
	vals, err := ed.userValues(r)
	if err != nil {
		return 0, err
	}
	seq := ed.t.e.seq.Next()
	key, err := ed.key(vals, seq)
	if err != nil {
		return 0, err
	}
	if !generatedPK {
		generatedPK = ed.issuedKey(vals)
	}
	s := ed.t.shape
	if s.IsStream() && s.Meta.Ephemeral && !ed.t.e.subscribers.HasSubscribers(s.Table.Table, ed.t.owner) {
		// EPHEMERAL: an event nobody subscribes to in its partition (its
		// user's) is dropped at once.
		return seq, nil
	}
	if !s.IsStream() && s.PK >= 0 {
		if live, err := tx.InsertsLive(ctx, s.Table, ed.t.owner, [][]byte{key}, generatedPK); err != nil {
			return 0, err
		} else if live[0] {
			return 0, apierror.New(apierror.InvalidInput, "duplicate primary key %s = %v in %s.%s",
				s.Schema.Columns[s.PK].Name, vals[s.PK], s.Meta.NamespaceID, s.Meta.TableName)
		}
	}
	value, err := ed.encode(vals, seq, false)
	if err != nil {
		return 0, err
	}
	return seq, put(ctx, tx, &txn.Write{Table: s.Table, Owner: ed.t.owner, Key: key, Value: value,
		Seq: seq, Insert: true, Live: true, After: vals, Generated: generatedPK || ed.keyFromSeq()})
}

// insertRows inserts rows as Insert does one by one, with the primary-key
// checks of all of them done together and the statement charged once: a
// multi-row INSERT ... VALUES costs a batch, not a read per row. A key
// repeated within rows is a duplicate, as it is for Insert.
//
// In a statement that is its own transaction the committed rows are not
// read here at all: the commit, right after, reads every key it writes
// under the partition locks and fails the statement on a live one, so a
// read now would only repeat it. The cold versions are still looked up
// now, so that the commit holds its locks for no cold read.
//
// generatedPK says the rows' primary keys are SNOWFLAKE_ID()s the fast path
// has just generated for them (txn.Write.Generated).
func (ed *editor) insertRows(ctx *sql.Context, rows []sql.Row, generatedPK bool) error {
	s := ed.t.shape
	own := ed.t.sess.ownTx
	if s.IsStream() || s.PK < 0 || (len(rows) == 1 && !own) {
		for _, r := range rows {
			if _, err := ed.insert(ctx, r, generatedPK); err != nil {
				return err
			}
		}
		return nil
	}
	if err := ed.checkWrite(); err != nil {
		return err
	}
	tx, err := ed.tx()
	if err != nil {
		return err
	}
	writes := make([]txn.Write, len(rows))
	keys := make([][]byte, len(rows))
	for i, r := range rows {
		vals, err := ed.userValues(r)
		if err != nil {
			return err
		}
		seq := ed.t.e.seq.Next()
		if keys[i], err = ed.key(vals, seq); err != nil {
			return err
		}
		writes[i] = txn.Write{Table: s.Table, Owner: ed.t.owner, Key: keys[i], Seq: seq, Insert: true, Live: true, After: vals,
			Generated: generatedPK}
	}
	var live []bool
	if own {
		err = tx.PrepareInserts(ctx, s.Table, ed.t.owner, keys, generatedPK)
	} else {
		live, err = tx.InsertsLive(ctx, s.Table, ed.t.owner, keys, generatedPK)
	}
	if err != nil {
		return err
	}
	var seen map[string]struct{}
	if len(rows) > 1 {
		seen = make(map[string]struct{}, len(rows))
	}
	var size int64
	for i := range writes {
		w := &writes[i]
		_, dup := seen[string(w.Key)]
		if dup || (live != nil && live[i]) {
			return apierror.New(apierror.InvalidInput, "duplicate primary key %s = %v in %s.%s",
				s.Schema.Columns[s.PK].Name, w.After[s.PK], s.Meta.NamespaceID, s.Meta.TableName)
		}
		if seen != nil {
			seen[string(w.Key)] = struct{}{}
		}
		if w.Value, err = ed.encode(w.After, w.Seq, false); err != nil {
			return err
		}
		size += w.Size()
	}
	if err := hold(ctx, "rows written", size); err != nil {
		return err
	}
	for i := range writes {
		if err := tx.Put(&writes[i]); err != nil {
			return err
		}
	}
	return nil
}

// put adds a write to the transaction, charged first to the statement's
// memory budget: it is held until commit.
func put(ctx *sql.Context, tx *txn.Tx, w *txn.Write) error {
	if err := hold(ctx, "rows written", w.Size()); err != nil {
		return err
	}
	return tx.Put(w)
}

// existing locates the stored version an UPDATE or DELETE was given: its
// key and the _seq the statement read.
func (ed *editor) existing(tx *txn.Tx, old sql.Row) ([]byte, int64, error) {
	s := ed.t.shape
	seq, ok := old[s.SeqIndex()].(int64)
	if !ok {
		return nil, 0, apierror.New(apierror.InternalError, "row of %s has no _seq", s.Meta.TableID)
	}
	if s.PK < 0 {
		key, ok := tx.Identity(seq)
		if !ok {
			return nil, 0, apierror.New(apierror.InternalError, "row of %s was not read by this statement", s.Meta.TableID)
		}
		return key, seq, nil
	}
	pkv, err := row.Normalize(s.PKType, old[s.PK])
	if err != nil {
		return nil, 0, err
	}
	key, err := ed.key(append(make([]any, s.PK), pkv), 0)
	if err != nil {
		return nil, 0, err
	}
	return key, seq, nil
}

// Update implements sql.RowUpdater: a new version of the row. In a
// DELETE ... RETURNING (Session.deleting) it is the delete of old.
func (ed *editor) Update(ctx *sql.Context, old, newRow sql.Row) error {
	sess := ed.t.sess
	if !sess.returning {
		_, err := ed.replace(ctx, old, newRow, false)
		return err
	}
	var next sql.Row
	if next = newRow; sess.deleting {
		next = old
	}
	seq, err := ed.replace(ctx, old, next, sess.deleting)
	if err == nil {
		ed.written(newRow, seq, sess.deleting)
	}
	return err
}

// Delete implements sql.RowDeleter: a soft delete, written as a new
// version with _deleted = true that keeps the row's values.
func (ed *editor) Delete(ctx *sql.Context, old sql.Row) error {
	_, err := ed.replace(ctx, old, old, true)
	return err
}

// replace writes a new version (with values from next) of the stored row
// the statement read as old, and returns its _seq.
func (ed *editor) replace(ctx *sql.Context, old, next sql.Row, deleted bool) (int64, error) {
	if err := ed.checkWrite(); err != nil {
		return 0, err
	}
	s := ed.t.shape
	if s.IsStream() {
		return 0, apierror.New(apierror.InvalidSQL, "STREAM table events cannot be updated or deleted; they expire after TTL_SECONDS")
	}
	tx, err := ed.tx()
	if err != nil {
		return 0, err
	}
	key, readSeq, err := ed.existing(tx, old)
	if err != nil {
		return 0, err
	}
	vals, err := ed.userValues(next)
	if err != nil {
		return 0, err
	}
	if s.PK >= 0 && !deleted {
		newKey, err := ed.key(vals, 0)
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(newKey, key) {
			return 0, apierror.New(apierror.InvalidInput, "primary key %s cannot be updated; delete the row and insert a new one", s.Schema.Columns[s.PK].Name)
		}
	}
	seq := ed.t.e.seq.Next()
	value, err := ed.encode(vals, seq, deleted)
	if err != nil {
		return 0, err
	}
	w := &txn.Write{Table: s.Table, Owner: ed.t.owner, Key: key, Value: value, Seq: seq,
		ExpectSeq: readSeq, Live: !deleted, BeforeSeq: readSeq}
	if before, err := ed.userValues(old); err == nil {
		w.Before = before
	}
	if !deleted {
		w.After = vals
	}
	return seq, put(ctx, tx, w)
}
