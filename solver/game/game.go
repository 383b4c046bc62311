package game

// Kind says which representation a [Game] holds.
type Kind int

// The kinds of game.
const (
	KindNormal Kind = iota + 1
	KindTree
	KindAllocation
)

func (k Kind) String() string {
	switch k {
	case KindNormal:
		return "normal"
	case KindTree:
		return "tree"
	case KindAllocation:
		return "allocation"
	}
	return "unknown"
}

// Game is a named game: exactly one of Normal, Tree and Allocation is set.
type Game struct {
	Name        string
	Description string
	Normal      *Normal
	Tree        *Tree
	Allocation  *Allocation
}

// Kind returns the representation the game holds (0 when none is set).
func (g *Game) Kind() Kind {
	switch {
	case g.Normal != nil:
		return KindNormal
	case g.Tree != nil:
		return KindTree
	case g.Allocation != nil:
		return KindAllocation
	}
	return 0
}

// Players returns the player names.
func (g *Game) Players() []string {
	switch {
	case g.Normal != nil:
		return g.Normal.Players()
	case g.Tree != nil:
		return g.Tree.Players
	case g.Allocation != nil:
		return g.Allocation.Players
	}
	return nil
}
