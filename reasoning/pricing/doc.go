// Package pricing implements GTAlign's inference-time adaptation to the service's token
// pricing (reasoning.md §2; GTAlign paper, "inference-time steering"): before the assistant
// chooses a strategy, each payoff cell is charged the expected token cost of the cell's
// strategy, so the same question gets a shorter or a more interactive answer depending on who
// pays and how much.
//
// A [Config] is pricing.toml. [NewPlan] resolves it for one request, with learned expected
// lengths where there are any, into a [Plan] whose [Plan.Adjust] transforms one cell. Two
// transforms exist:
//
//   - "cost" (the default): cost(s) = (prompt tokens × input price + completion tokens(s) ×
//     output price) / 1e6; the payer's payoff in every cell of strategy s is reduced by
//     rate × cost(s); the other side's payoff is unchanged.
//   - "paper": the GTAlign code's own steering, kept so experiments can reproduce it: a
//     constant shift added to one side's payoffs plus a strategy bonus for the other side
//     (when the LLM side is shifted: user +1 on AQ, +0.5 on CQ, +0 on DA; when the user side
//     is shifted: LLM +1 on DA, +0.5 on AQ, +0 on CQ).
//
// [Lengths] keeps the running averages of real response lengths per strategy and persists
// them across restarts.
package pricing
