package engine

import "github.com/dolthub/vitess/go/vt/sqlparser"

// CachedAST returns the translated statement the plan cache holds for a
// text run in a namespace, or nil.
func CachedAST(e *Engine, text, namespace string) sqlparser.Statement {
	e.plans.mu.Lock()
	defer e.plans.mu.Unlock()
	if cs, ok := e.plans.m[planKey{text: text, namespace: namespace}]; ok {
		return cs.st.AST
	}
	return nil
}
