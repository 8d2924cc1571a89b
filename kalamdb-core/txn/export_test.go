package txn

// KeyStates is how many table incarnations m holds a key state of.
func KeyStates(m *Manager) int {
	n := 0
	m.marks.states.Range(func(any, any) bool { n++; return true })
	return n
}

// StripeOf is the index of the lock stripe of partition p.
func StripeOf(l *Locks, p Partition) int {
	held, unlock := l.lock([]Partition{p})
	unlock()
	return held[0].stripe
}
