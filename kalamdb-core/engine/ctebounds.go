package engine

import (
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// MaxCTEExpansions is the most references to WITH queries a statement may
// have once each is replaced by its query, as the engine inlines them. A
// WITH query that reads the one before it twice doubles the plan at every
// level: 25 levels, under a kilobyte of SQL, made a plan of 2^25 nodes
// that one planner rule worked on for minutes, deaf to the time limit.
// 100,000 is about 16 doubling levels, which the planner's context checks
// stop within the statement's time.
const MaxCTEExpansions = 100_000

// boundCTEExpansion refuses a statement whose WITH queries expand past
// MaxCTEExpansions references. A reference counts one plus the references
// of the query it names, expanded; the references of each WITH query count
// once more on their own (read or not), so the count is at most about
// twice the plan's. A WITH inside a WITH query is counted where its
// queries are referenced, not again with each WITH around it (which made
// a chain of 17 nested WITHs, each reading the one inside once, count
// past the bound). Names are matched as cteNames matches them: by name,
// wherever the WITH is.
func boundCTEExpansion(stmt sqlparser.SQLNode) error {
	bodies := map[string]sqlparser.SQLNode{}
	var defined []sqlparser.SQLNode // every WITH query, in every WITH
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		if w, ok := node.(*sqlparser.With); ok && w != nil {
			for _, c := range w.Ctes {
				bodies[strings.ToLower(c.As.String())] = c.AliasedTableExpr.Expr
				defined = append(defined, c.AliasedTableExpr.Expr)
			}
		}
		return true, nil
	}, stmt)
	if len(bodies) == 0 {
		return nil
	}
	expanded := map[string]int64{}
	var size func(name string, inProgress map[string]bool) int64
	// refs sums, over the references to WITH queries under node, one plus
	// their expanded size; inProgress skips a recursive query's reference
	// to itself.
	refs := func(node sqlparser.SQLNode, inProgress map[string]bool) int64 {
		var total int64
		_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
			if _, isWith := n.(*sqlparser.With); isWith {
				return false, nil // its queries count where they are referenced, and on their own
			}
			name, ok := cteCandidate(n)
			if !ok {
				return total <= MaxCTEExpansions, nil
			}
			if _, isCTE := bodies[name]; isCTE && !inProgress[name] {
				total += 1 + size(name, inProgress)
			}
			return total <= MaxCTEExpansions, nil
		}, node)
		return total
	}
	size = func(name string, inProgress map[string]bool) int64 {
		if n, ok := expanded[name]; ok {
			return n
		}
		inProgress[name] = true
		n := refs(bodies[name], inProgress)
		delete(inProgress, name)
		expanded[name] = n
		return n
	}
	total := refs(stmt, map[string]bool{})
	for _, body := range defined {
		if total > MaxCTEExpansions {
			break
		}
		total += refs(body, map[string]bool{})
	}
	if total > MaxCTEExpansions {
		return limitError("max_cte_expansions", "the statement's WITH queries expand to more than %d references once each "+
			"is replaced by its query (a query that reads the one before it twice doubles at every level); "+
			"materialize a step into a table, or split the statement", MaxCTEExpansions)
	}
	return nil
}

// recursiveFirstTerms refuses a recursive WITH query whose first term
// (the left side of its last UNION) reads the query, as PostgreSQL does
// ("must not appear within its non-recursive term"). The engine's planner
// took the first UNION reading the query as the recursive term's start:
// SELECT 1 UNION ALL SELECT n + 1 FROM r ... UNION ALL SELECT n + 10 FROM
// r ... ran both as one recursive term, and SELECT n FROM r UNION ALL
// SELECT 1 failed as a table that does not exist ("no database
// selected"). A reference to a table of a namespace is not the query's.
func recursiveFirstTerms(stmt sqlparser.SQLNode) error {
	var err error
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		w, ok := node.(*sqlparser.With)
		if !ok || w == nil || !w.Recursive || err != nil {
			return err == nil, nil
		}
		for _, c := range w.Ctes {
			sq, ok := c.AliasedTableExpr.Expr.(*sqlparser.Subquery)
			if !ok {
				continue
			}
			u, ok := sq.Select.(*sqlparser.SetOp)
			if !ok || u.Type != sqlparser.UnionStr && u.Type != sqlparser.UnionAllStr && u.Type != sqlparser.UnionDistinctStr {
				continue // another set operation is refused when planned
			}
			if name := c.As.String(); readsTable(u.Left, name) {
				err = sqlError("recursive reference to query %q must not appear within its non-recursive term", c.As.String())
				break
			}
		}
		return err == nil, nil
	}, stmt)
	return err
}

// readsTable reports whether node reads a table called name that no
// namespace qualifies.
func readsTable(node sqlparser.SQLNode, name string) bool {
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if t, ok := cteCandidate(n); ok && strings.EqualFold(t, name) {
			found = true
		}
		return !found, nil
	}, node)
	return found
}

// cteCandidate is the name, in lower case, of the table n reads when
// n is a table expression whose name no namespace qualifies: a name that
// may be a WITH query's.
func cteCandidate(n sqlparser.SQLNode) (string, bool) {
	t, ok := n.(*sqlparser.AliasedTableExpr)
	if !ok {
		return "", false
	}
	tn, ok := t.Expr.(sqlparser.TableName)
	if !ok || !tn.DbQualifier.IsEmpty() {
		return "", false
	}
	return strings.ToLower(tn.Name.String()), true
}
