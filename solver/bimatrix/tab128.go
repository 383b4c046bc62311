package bimatrix

func newTab128(p *polytope) (tableau, bool) { return nil, false }
