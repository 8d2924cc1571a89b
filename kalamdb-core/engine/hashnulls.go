package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// nullFreeHashRuleID identifies nullFreeHashJoins in the engine's traces.
const nullFreeHashRuleID analyzer.RuleId = 10_013

// A hash join (the engine's, inner and LEFT, and hashReadOnce's) kept
// the rows of its hashed side whose key is NULL under one key like any
// other, which every probe row with a NULL key then found: each pair
// evaluated the join's condition, which rejects it (NULL = NULL is not
// true). 2,000 rows joined with 200 on a key NULL in 99 % of both checked
// 392,000 such pairs (BenchmarkNullJoin), and held every NULL-keyed row
// of the hashed side against the statement's memory budget. When the
// join's condition has an equality (=, not IS NOT DISTINCT FROM) of a key
// column among its top-level conjuncts, a NULL in that column makes the
// condition NULL or false for every pair: nullFreeHashJoins marks those
// columns, the hashed side's rows with a NULL in one are neither kept nor
// charged (nullKeyIter), and a probe row with a NULL in one is not looked
// up once the table is complete. The hashed side is the preserved side
// of no outer join but a FULL JOIN (the engine hashes the right side of
// an inner or LEFT join, a RIGHT JOIN being a LEFT JOIN of its sides
// swapped): a probe row without a match is still joined to NULLs once by
// the join, and a FULL JOIN's hashed side keeps its NULL-keyed rows
// apart for its last read (joinhash.go). The engine's anti joins by hash
// (LeftOuterHashExcludeNulls, NOT IN) need the NULL keys to answer NULL,
// and are left alone, as are keys computed by an expression other than a
// column (a volatile one could be NULL for the key and not for the
// condition). It runs among the once-after-all rules, before
// nullComparisons hides the equalities in its wrapper.
var nullFreeHashJoins = statementRule(nullHashKeysKept{}, nullFreeHashJoin)

// nullHashKeysKept, as a key of a statement's context, turns
// nullFreeHashJoins off for that statement: tests compare the answers
// and the memory held with and without it.
type nullHashKeysKept struct{}

// nullFreeHashJoin is n, when it is a hash join whose condition rejects
// NULL keys, with its hashed side told which key columns it rejects.
func nullFreeHashJoin(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	j, ok := n.(*plan.JoinNode)
	if !ok || j.Filter == nil {
		return n, transform.SameTree, nil
	}
	h, ok := j.Right().(*plan.HashLookup)
	if !ok {
		return n, transform.SameTree, nil
	}
	if side, full := h.Child.(*hashedSide); j.Op == plan.JoinTypeFullOuter && !(full && side.full) ||
		j.Op != plan.JoinTypeFullOuter && j.Op != plan.JoinTypeHash && j.Op != plan.JoinTypeLeftOuterHash {
		return n, transform.SameTree, nil
	}
	keys := nullRejected{
		entry: rejectedColumns(j.Filter, h.RightEntryKey),
		probe: rejectedColumns(j.Filter, h.LeftProbeKey),
	}
	if len(keys.entry) == 0 && len(keys.probe) == 0 {
		return n, transform.SameTree, nil
	}
	var side sql.Node
	switch c := h.Child.(type) {
	case *nullFreeSide:
		return n, transform.SameTree, nil
	case *hashedSide:
		if c.nulls != nil {
			return n, transform.SameTree, nil
		}
		side = &hashedSide{child: c.child, state: c.state, nulls: &keys, full: c.full}
	default:
		side = &nullFreeSide{child: c, nulls: keys}
	}
	lookup, err := h.WithChildren(side)
	if err != nil {
		return nil, transform.SameTree, err
	}
	out, err := j.WithChildren(j.Left(), lookup)
	return out, transform.NewTree, err
}

// nullRejected is what a hash join's condition rejects when NULL: the
// positions, among the parts of its hashed side's key and of its probe
// key, of the columns it rejects. Positions, not the columns: the engine
// may still renumber the keys' columns after the rule has run (in a
// subquery, whose rows begin with the outer row's), and the builder reads
// the columns from the keys as they are when it builds the lookup.
type nullRejected struct {
	entry, probe []int
}

// anyNull reports whether one of the parts of key (a hash key) at
// positions is NULL in row.
func anyNull(ctx *sql.Context, key sql.Expression, positions []int, row sql.Row) (bool, error) {
	for _, i := range positions {
		v, err := keyColumn(keyPart(key, i)).Eval(ctx, row)
		if err != nil {
			return false, err
		}
		if v == nil {
			return true, nil
		}
	}
	return false, nil
}

// keyPart is part i of hash key key.
func keyPart(key sql.Expression, i int) sql.Expression {
	if t, ok := key.(expression.Tuple); ok {
		return t[i]
	}
	return key
}

// rejectedColumns is the positions of the parts of hash key key (a
// tuple, or one expression) that are a column, possibly read through
// kdb_hash_key or kdb_json_hash_key (hashkeys.go), that is an operand of
// an equality among cond's top-level conjuncts: when it is NULL, so is
// that equality, and cond is not true.
func rejectedColumns(cond, key sql.Expression) []int {
	var out []int
	conjuncts := expression.SplitConjunction(cond)
	for i, part := range keyParts(key) {
		col := keyColumn(part)
		if col == nil {
			continue
		}
		for _, c := range conjuncts {
			if w, ok := c.(*nullCheckedComparison); ok {
				c = w.nullCheckable
			}
			eq, ok := c.(*expression.Equals)
			if ok && (sameColumn(eq.Left(), col) || sameColumn(eq.Right(), col)) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// keyColumn is the column a hash key's part reads, or nil when it is
// computed otherwise.
func keyColumn(e sql.Expression) *expression.GetField {
	if f, ok := e.(*pgFunc); ok && (f.name == "kdb_hash_key" || f.name == "kdb_json_hash_key") && len(f.args) == 1 {
		e = f.args[0]
	}
	gf, _ := e.(*expression.GetField)
	return gf
}

// sameColumn reports whether e is col, read at any index: the key and the
// condition read the column from different rows.
func sameColumn(e sql.Expression, col *expression.GetField) bool {
	gf, ok := e.(*expression.GetField)
	return ok && gf.Id() == col.Id() && gf.TableId() == col.TableId() &&
		strings.EqualFold(gf.Table(), col.Table()) && strings.EqualFold(gf.Name(), col.Name())
}

// nullFreeSide marks the child of one of the engine's hash lookups whose
// join rejects NULL keys: the builder leaves its rows with a NULL key out
// (nullKeyIter), and does not look a probe row with one up.
type nullFreeSide struct {
	child sql.Node
	nulls nullRejected
}

var _ sql.Node = (*nullFreeSide)(nil)

func (s *nullFreeSide) Resolved() bool       { return s.child.Resolved() }
func (s *nullFreeSide) String() string       { return s.child.String() }
func (s *nullFreeSide) Schema() sql.Schema   { return s.child.Schema() }
func (s *nullFreeSide) Children() []sql.Node { return []sql.Node{s.child} }
func (s *nullFreeSide) IsReadOnly() bool     { return s.child.IsReadOnly() }

func (s *nullFreeSide) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(s, len(children), 1)
	}
	return &nullFreeSide{child: children[0], nulls: s.nulls}, nil
}

// nullProbe reports whether h, whose side is s, has its table and the
// probe row r has a NULL key column the join rejects: no row matches it.
func (s *nullFreeSide) nullProbe(ctx *sql.Context, h *plan.HashLookup, r sql.Row) (bool, error) {
	if len(s.nulls.probe) == 0 {
		return false, nil
	}
	h.Mutex.Lock()
	built := h.Lookup != nil
	h.Mutex.Unlock()
	if !built {
		// The first probe row reads the side into the table, whatever
		// its key: the engine's lookup keeps the table only once read.
		return false, nil
	}
	return anyNull(ctx, h.LeftProbeKey, s.nulls.probe, r)
}

// entryKeyKey carries, to the build of a nullFreeSide, the hashed side's
// key of the lookup above it.
type entryKeyKey struct{}

// nullKeyIter is a hashed side's rows without those whose key has a NULL
// column the join rejects.
type nullKeyIter struct {
	child     sql.RowIter
	key       sql.Expression
	positions []int
}

func (it *nullKeyIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		row, err := it.child.Next(ctx)
		if err != nil {
			return nil, err
		}
		null, err := anyNull(ctx, it.key, it.positions, row)
		if err != nil {
			return nil, err
		}
		if !null {
			return row, nil
		}
	}
}

func (it *nullKeyIter) Close(ctx *sql.Context) error { return it.child.Close(ctx) }

// withoutNullKeys is iter, the rows of a hashed side whose key is key,
// without the rows nulls rejects.
func withoutNullKeys(iter sql.RowIter, key sql.Expression, nulls *nullRejected) sql.RowIter {
	if nulls == nil || len(nulls.entry) == 0 || key == nil {
		return iter
	}
	return &nullKeyIter{child: iter, key: key, positions: nulls.entry}
}
