package pgsql

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Default planning bounds (see Limits).
const (
	DefaultMaxExpressionDepth     = 1000
	DefaultMaxStatementComplexity = 1_000_000
	// MaxSetOperations bounds UNION, INTERSECT and EXCEPT in a statement:
	// the engine plans a chain of them in time cubic in its length (200:
	// 0.6 s; 400: 5 s), and planning cannot be interrupted.
	MaxSetOperations = 200
	// MaxSymmetricNesting bounds how deep a BETWEEN SYMMETRIC may sit in
	// the operands of others: each is planned as two BETWEENs, which copy
	// its operands, so nesting doubles the plan at every level (14
	// levels, under 500 bytes: 7 s, deaf to the time limit).
	MaxSymmetricNesting = 4
)

// Limits bound what one statement may ask PostgreSQL's parser, this
// translator and the engine's planner to build. Zero fields take the
// defaults.
//
// Why they exist: PostgreSQL's parser turns "1+1+…+1" into a tree as deep
// as the chain is long, and serialising that tree (in C, recursively)
// overflows the thread's stack at about 100,000 terms, which kills the
// whole process; the engine's planner then recomputes an operator chain's
// type at every node, so planning time grows with depth times size and
// cannot be interrupted (8,000 terms: a minute). Both are checked on the
// tokens, in one linear pass, before anything recursive sees the text.
type Limits struct {
	// MaxExpressionDepth bounds the nesting of the deepest expression.
	MaxExpressionDepth int
	// MaxStatementComplexity bounds the sum over every token of its
	// nesting depth: what the planner's repeated walks cost.
	MaxStatementComplexity int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxExpressionDepth <= 0 {
		l.MaxExpressionDepth = DefaultMaxExpressionDepth
	}
	if l.MaxStatementComplexity <= 0 {
		l.MaxStatementComplexity = DefaultMaxStatementComplexity
	}
	return l
}

// checkComplexity refuses a statement whose trees would be too deep or too
// large, reading its tokens once (linear in the text) and stopping at the
// first bound it passes. It computes upper bounds of the two quantities:
//
//   - depth: every operator may nest its expression one level deeper than
//     the last separator of its parenthesis or CASE (',' or a clause
//     keyword such as WHERE or THEN), and every parenthesis, bracket or
//     CASE opens a level. AND and OR count as separators: PostgreSQL keeps
//     a chain of them as one flat list, and the planner walks such a chain
//     in linear time;
//   - complexity: the sum of the depths of all tokens. Flat lists (IN
//     lists, VALUES rows, select lists, OR chains) stay linear in their
//     length; a chain of n arithmetic operators costs about n².
//
// Set operations nest too (a UNION b UNION c is ((a UNION b) UNION c)), and
// the engine plans their chains in cubic time, so their number is bounded
// on its own (MaxSetOperations).
//
// Identifiers inside a chain count as leaves and unknown keywords as
// leaves too, so the bounds are loose by a small factor only. Measured:
// a 5,000-row, three-column INSERT is about 70,000 against the default of
// 1,000,000; a 1,000-term "1+1+…" chain about 500,000.
func checkComplexity(text string, l Limits) error {
	type frame struct {
		caseBlock bool
		ops       int // operators since the frame's last separator
		sets      int // set operations: they nest across separators
	}
	stack := make([]frame, 1, 16)
	depth := 1 // the sum over frames of ops+sets+1
	maxDepth, setOps := 1, 0
	var complexity int64
	lx := dialect.NewLexer(text)
	for {
		kind, pos, end := lx.Next()
		top := &stack[len(stack)-1]
		switch kind {
		case dialect.TokEOF, dialect.TokInvalid:
			// The end, or an error the parser reports with its position.
			return nil
		case dialect.TokComment:
			continue
		case dialect.TokString, dialect.TokNumber, dialect.TokPlaceholder, dialect.TokQuotedIdent:
			// A leaf at the current depth.
		case dialect.TokPunct:
			switch text[pos:end] {
			case "(", "[":
				stack = append(stack, frame{})
				depth++
			case ")", "]":
				if len(stack) > 1 && !top.caseBlock {
					depth -= top.ops + top.sets + 1
					stack = stack[:len(stack)-1]
				}
			case ",", ";":
				depth -= top.ops
				top.ops = 0
			case ".":
			default:
				top.ops++
				depth++
			}
		case dialect.TokWord:
			switch wordRole(text[pos:end]) {
			case roleOpen:
				stack = append(stack, frame{caseBlock: true})
				depth++
			case roleClose:
				if len(stack) > 1 && top.caseBlock {
					depth -= top.ops + top.sets + 1
					stack = stack[:len(stack)-1]
				}
			case roleSetOp:
				// a UNION b UNION c nests as ((a UNION b) UNION c).
				if setOps++; setOps > MaxSetOperations {
					return limitError("max_set_operations", "the statement has more than %d UNION, INTERSECT and EXCEPT "+
						"operations; use IN (...), VALUES rows or several statements", MaxSetOperations)
				}
				depth -= top.ops
				top.ops = 0
				top.sets++
				depth++
			case roleSeparator:
				depth -= top.ops
				top.ops = 0
			case roleOperator:
				top.ops++
				depth++
			}
		}
		if depth > maxDepth {
			maxDepth = depth
			if maxDepth > l.MaxExpressionDepth {
				return limitError("max_expression_depth", "the statement nests expressions more than %d levels deep; "+
					"use parentheses to group long operator chains, or IN (...) instead of long chains of comparisons", l.MaxExpressionDepth)
			}
		}
		complexity += int64(depth)
		if complexity > l.MaxStatementComplexity {
			return limitError("max_statement_complexity", "the statement is too large or too deeply nested to plan "+
				"(complexity over %d); split it into smaller statements", l.MaxStatementComplexity)
		}
	}
}

// limitError is the RESOURCE_LIMIT_EXCEEDED error of a configured limit;
// setting names it so an operator knows what to raise.
func limitError(setting, format string, args ...any) *apierror.Error {
	e := apierror.New(apierror.ResourceLimitExceeded, format, args...)
	e.Message += " (limit: " + setting + ")"
	return e
}

type tokenRole uint8

const (
	roleLeaf tokenRole = iota
	roleOpen
	roleClose
	roleSeparator
	roleOperator
	roleSetOp
)

// wordRole classifies a keyword for checkComplexity; any other word is a
// leaf (an identifier, a function name, a type).
func wordRole(w string) tokenRole {
	if len(w) < 2 || len(w) > 9 {
		return roleLeaf
	}
	var buf [9]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(w)]) {
	case "CASE":
		return roleOpen
	case "END":
		return roleClose
	case "UNION", "INTERSECT", "EXCEPT":
		return roleSetOp
	case "SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "BY", "LIMIT", "OFFSET", "SET", "VALUES", "ON",
		"USING", "WHEN", "THEN", "ELSE", "WINDOW", "INTO", "RETURNING", "AND", "OR":
		return roleSeparator
	case "NOT", "IS", "IN", "LIKE", "ILIKE", "SIMILAR", "BETWEEN", "ISNULL", "NOTNULL", "ANY", "ALL", "SOME",
		"ESCAPE", "COLLATE", "AT", "OVERLAPS":
		return roleOperator
	}
	return roleLeaf
}
