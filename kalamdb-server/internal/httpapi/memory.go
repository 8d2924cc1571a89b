package httpapi

import "github.com/kalamdb/kalamdb-go/kalamdb-core/memory"

// newCharge is a request's empty reservation from the server's memory
// account, within userID's share of it. The reservation is recycled, so a
// request allocates nothing for it.
func (s *Server) newCharge(userID string) *memory.Charge {
	c, _ := s.charges.Get().(*memory.Charge)
	if c == nil {
		c = new(memory.Charge)
	}
	c.Reset(s.memory.For(userID))
	return c
}

// endCharge gives back everything the request reserved, once it has
// answered: its answer is written (or the client is gone) and its rows
// are garbage.
func (s *Server) endCharge(c *memory.Charge) {
	c.Release()
	s.charges.Put(c)
}
