package engine

import (
	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// checkComplexity refuses, before the engine parses it, a statement whose
// syntax tree would be too deep or too large to plan.
//
// Why before: the engine's parser is linear, but right after parsing it
// walks the tree recursively (a million-term "1+1+…" overflows the
// goroutine stack, which kills the process), and its planner computes the
// type of an operator chain by walking the whole chain again at every node,
// so planning time grows with depth times size ("SELECT 1+1+…" with 8,000
// terms plans for a minute) and cannot be interrupted.
//
// The check reads the engine's own tokens once and aborts at the first
// limit it passes, so it is linear in the text it reads. It bounds, from
// above, two quantities of the tree the parser would build:
//
//   - depth: the nesting of the deepest expression. Every operator token
//     may nest its expression one level deeper than the last separator
//     (',' or a clause keyword such as WHERE or THEN) of its parenthesis or
//     CASE, and every parenthesis or CASE opens a level;
//   - complexity: the sum over every token of its depth, which is what the
//     planner's repeated walks cost. Long flat lists (IN lists, VALUES rows,
//     select lists) stay linear in their length; a chain of n operators
//     costs about n².
//
// Both bounds are loose by a small factor (identifiers in an operator
// chain count as leaves, keywords as operators), which the defaults allow
// for: a 5,000-row INSERT of three columns is 70,000, against a default
// of 1,000,000.
func checkComplexity(text string, l *Limits) error {
	type frame struct {
		caseBlock bool
		ops       int
	}
	stack := make([]frame, 1, 16)
	depth := 1 // sum over frames of ops+1
	maxDepth := 1
	var complexity int64
	tkn := sqlparser.NewStringTokenizerForAnsiQuotes(text)
	for {
		typ, _ := tkn.Scan()
		top := &stack[len(stack)-1]
		switch typ {
		case 0, sqlparser.LEX_ERROR:
			// The end, or an error the parser reports with its position.
			return nil
		case sqlparser.COMMENT:
			continue
		case '(', sqlparser.CASE:
			stack = append(stack, frame{caseBlock: typ == sqlparser.CASE})
			depth++
		case ')', sqlparser.END:
			if len(stack) > 1 && top.caseBlock == (typ == sqlparser.END) {
				depth -= top.ops + 1
				stack = stack[:len(stack)-1]
			}
		case ',', ';', sqlparser.SELECT, sqlparser.FROM, sqlparser.WHERE, sqlparser.GROUP, sqlparser.HAVING,
			sqlparser.ORDER, sqlparser.LIMIT, sqlparser.OFFSET, sqlparser.SET, sqlparser.VALUES, sqlparser.ON,
			sqlparser.USING, sqlparser.UNION, sqlparser.WHEN, sqlparser.THEN, sqlparser.ELSE, sqlparser.WINDOW,
			sqlparser.INTO:
			// A separator: what follows is a sibling, not a child, of what
			// came before it.
			depth -= top.ops
			top.ops = 0
		case sqlparser.ID, sqlparser.STRING, sqlparser.INTEGRAL, sqlparser.FLOAT, sqlparser.DECIMAL, sqlparser.HEXNUM,
			sqlparser.HEX, sqlparser.BIT_LITERAL, sqlparser.VALUE_ARG, sqlparser.LIST_ARG, sqlparser.NULL,
			sqlparser.TRUE, sqlparser.FALSE, '.':
			// A leaf at the current depth.
		default:
			// An operator or a keyword that may be one.
			top.ops++
			depth++
		}
		if depth > maxDepth {
			maxDepth = depth
			if maxDepth > l.MaxExpressionDepth {
				return limitError("max_expression_depth", "the statement nests expressions more than %d levels deep; "+
					"use parentheses to group long operator chains, or IN (...) instead of long OR chains", l.MaxExpressionDepth)
			}
		}
		complexity += int64(depth)
		if complexity > l.MaxStatementComplexity {
			return limitError("max_statement_complexity", "the statement is too large or too deeply nested to plan "+
				"(complexity over %d); split it into smaller statements", l.MaxStatementComplexity)
		}
	}
}
