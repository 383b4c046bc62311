// grammar.cpp: a bounded re-implementation of llama.cpp's grammar matcher (llama-grammar.cpp,
// ollama v0.17.4): same elements, same stacks, same answers, with the work per call bounded.
// Functions named after llama.cpp's say so; TestSmartGrammarExact and
// TestGrammarMatcherAgreesWithLlama compare the two on the same grammars and tokens.
#include "grammar.hpp"

#include <cmath>
#include <map>
#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace {

using gpos = const nash_gelem *;
using gstack = std::vector<gpos>;

struct stack_hash {
    size_t operator()(const gstack &s) const {
        uint64_t h = 1469598103934665603ull; // FNV-1a over the pointers
        for (gpos p : s) {
            h ^= (uint64_t)(uintptr_t)p;
            h *= 1099511628211ull;
        }
        return (size_t)(h ^ s.size());
    }
};

struct partial_utf8 {
    uint32_t value;
    int n_remain; // bytes still expected; -1: invalid sequence
};

bool is_end(gpos p) { return p->type == NG_END || p->type == NG_ALT; }
bool is_token(gpos p) { return p->type == NG_TOKEN || p->type == NG_TOKEN_NOT; }

// llama_grammar_match_char: does chr match the character set at pos, and where does the set end.
std::pair<bool, gpos> match_char(gpos pos, uint32_t chr) {
    bool found = false;
    bool positive = pos->type == NG_CHAR || pos->type == NG_CHAR_ANY;
    do {
        if (pos[1].type == NG_CHAR_RNG_UPPER) {
            found = found || (pos->value <= chr && chr <= pos[1].value);
            pos += 2;
        } else if (pos->type == NG_CHAR_ANY) {
            found = true;
            pos += 1;
        } else {
            found = found || pos->value == chr;
            pos += 1;
        }
    } while (pos->type == NG_CHAR_ALT);
    return {found == positive, pos};
}

// llama_grammar_match_partial_char: can an incomplete UTF-8 sequence still match the set.
bool match_partial_char(gpos pos, partial_utf8 partial) {
    bool positive = pos->type == NG_CHAR || pos->type == NG_CHAR_ANY;
    uint32_t value = partial.value;
    int n_remain = partial.n_remain;
    if (n_remain < 0 || (n_remain == 1 && value < 2)) return false;
    uint32_t low = value << (n_remain * 6);
    uint32_t high = low | ((1 << (n_remain * 6)) - 1);
    if (low == 0) {
        if (n_remain == 2) {
            low = 1 << 11;
        } else if (n_remain == 3) {
            low = 1 << 16;
        }
    }
    do {
        if (pos[1].type == NG_CHAR_RNG_UPPER) {
            if (pos->value <= high && low <= pos[1].value) return positive;
            pos += 2;
        } else if (pos->type == NG_CHAR_ANY) {
            return true;
        } else {
            if (low <= pos->value && pos->value <= high) return positive;
            pos += 1;
        }
    } while (pos->type == NG_CHAR_ALT);
    return !positive;
}

bool match_token(gpos pos, llama_token tok) {
    return pos->type == NG_TOKEN ? pos->value == (uint32_t)tok : pos->value != (uint32_t)tok;
}

// decode_utf8 (the string version): code points of src continuing from partial, ending in
// 0, and the partial sequence left at the end.
std::pair<std::vector<uint32_t>, partial_utf8> decode_utf8(const std::string &src, partial_utf8 start) {
    static const int lookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
    const char *pos = src.c_str();
    std::vector<uint32_t> cps;
    cps.reserve(src.size() + 1);
    uint32_t value = start.value;
    int n_remain = start.n_remain;
    while (*pos != 0 && n_remain > 0) {
        uint8_t next = (uint8_t)*pos;
        if ((next >> 6) != 2) {
            cps.push_back(0);
            return {std::move(cps), partial_utf8{0, -1}};
        }
        value = (value << 6) + (next & 0x3F);
        ++pos;
        --n_remain;
    }
    if (start.n_remain > 0 && n_remain == 0) cps.push_back(value);
    while (*pos != 0) {
        uint8_t first = (uint8_t)*pos;
        n_remain = lookup[first >> 4] - 1;
        if (n_remain < 0) {
            cps.clear();
            cps.push_back(0);
            return {std::move(cps), partial_utf8{0, n_remain}};
        }
        uint8_t mask = (1 << (7 - n_remain)) - 1;
        value = first & mask;
        ++pos;
        while (*pos != 0 && n_remain > 0) {
            value = (value << 6) + ((uint8_t)*pos & 0x3F);
            ++pos;
            --n_remain;
        }
        if (n_remain == 0) cps.push_back(value);
    }
    cps.push_back(0);
    return {std::move(cps), partial_utf8{value, n_remain}};
}

std::string token_piece(const llama_vocab *vocab, llama_token tok) {
    char buf[256];
    int32_t n = llama_token_to_piece(vocab, tok, buf, sizeof buf, 0, true);
    if (n >= 0) return std::string(buf, (size_t)n);
    std::string s((size_t)-n, '\0');
    n = llama_token_to_piece(vocab, tok, &s[0], (int32_t)s.size(), 0, true);
    if (n < 0) throw std::runtime_error("grammar: token piece does not fit");
    s.resize((size_t)n);
    return s;
}

struct candidate {
    size_t index;
    const uint32_t *cp;
    partial_utf8 partial;
    llama_token id;
};

} // namespace

struct nash_grammar {
    std::vector<std::vector<nash_gelem>> rules;
    std::vector<gstack> stacks;
    partial_utf8 partial{0, 0};
    size_t max_stacks = 0;
    size_t budget = 0; // work units per call
    size_t work = 0;   // spent in the current call
    size_t limit = 0;  // budget of the current call

    void start(size_t extra) {
        work = 0;
        limit = budget + extra;
    }

    void charge(size_t n) {
        work += n;
        if (work > limit) {
            throw nash_grammar_limit("grammar too ambiguous here: matching the next token takes more than " +
                                     std::to_string(limit) + " steps");
        }
    }

    // stack_set collects distinct stacks, at most max_stacks of them.
    struct stack_set {
        nash_grammar *g;
        std::unordered_set<gstack, stack_hash> set;
        void add(gstack s) {
            set.insert(std::move(s));
            if (set.size() > g->max_stacks) {
                throw nash_grammar_limit("grammar too ambiguous here: more than " + std::to_string(g->max_stacks) +
                                         " ways to continue the parse");
            }
        }
        std::vector<gstack> take() {
            std::vector<gstack> v;
            v.reserve(set.size());
            for (auto it = set.begin(); it != set.end();) {
                auto node = set.extract(it++);
                v.push_back(std::move(node.value()));
            }
            return v;
        }
    };

    // advance is llama_grammar_advance_stack with an explicit work list instead of recursion:
    // replace a rule reference on top by each of the rule's alternatives until every stack
    // has a terminal on top (or is empty: the grammar is complete).
    void advance(gstack st, stack_set &out) {
        std::vector<gstack> todo;
        todo.push_back(std::move(st));
        while (!todo.empty()) {
            gstack s = std::move(todo.back());
            todo.pop_back();
            charge(1 + s.size());
            if (s.empty()) {
                out.add(std::move(s));
                continue;
            }
            gpos pos = s.back();
            switch (pos->type) {
            case NG_RULE_REF: {
                if (pos->value >= rules.size()) throw std::runtime_error("grammar: reference to a missing rule");
                gpos sub = rules[pos->value].data();
                for (;;) {
                    gstack ns(s.begin(), s.end() - 1);
                    if (!is_end(pos + 1)) ns.push_back(pos + 1);
                    if (!is_end(sub)) ns.push_back(sub);
                    todo.push_back(std::move(ns));
                    while (!is_end(sub)) sub++;
                    if (sub->type != NG_ALT) break;
                    sub++;
                }
                break;
            }
            case NG_CHAR:
            case NG_CHAR_NOT:
            case NG_CHAR_ANY:
            case NG_TOKEN:
            case NG_TOKEN_NOT:
                out.add(std::move(s));
                break;
            default:
                throw std::runtime_error("grammar: malformed rule");
            }
        }
    }

    // popped returns s with its top (ending at next) consumed.
    static gstack popped(const gstack &s, gpos next) {
        gstack ns(s.begin(), s.end() - 1);
        if (!is_end(next)) ns.push_back(next);
        return ns;
    }

    // rejected returns the indices of the candidates that no stack of S accepts
    // (llama_grammar_reject_candidates). Candidates are decided character by character for
    // all stacks at once: those whose next character the same stacks accept continue
    // together, with the union of the stacks it leads to, so stack sets never multiply.
    //
    // One deliberate difference: llama.cpp lets a token element (<[id]>, !<[id]>) on top of a
    // stack accept a candidate in the middle of its text too, when the id matches; its own
    // accept (llama_grammar_accept_token) matches token elements only at a token's start and
    // then throws "Unexpected empty grammar stack". Here a token element matches only at the
    // start (start = true), so every allowed token can be accepted.
    std::vector<size_t> rejected(const std::vector<gstack> &S, const std::vector<candidate> &cands, bool start) {
        std::vector<size_t> out;
        if (cands.empty()) return out;
        charge(S.size() + cands.size());
        std::vector<char> ok(cands.size(), 0);
        for (const gstack &s : S) {
            if (s.empty()) {
                for (size_t i = 0; i < cands.size(); i++) {
                    if (*cands[i].cp == 0 && cands[i].partial.n_remain == 0) ok[i] = 1;
                }
            } else if (is_token(s.back())) {
                for (size_t i = 0; i < cands.size(); i++) {
                    const candidate &c = cands[i];
                    if (*c.cp == 0 ? c.partial.n_remain == 0 : start && match_token(s.back(), c.id)) ok[i] = 1;
                }
            } else {
                for (size_t i = 0; i < cands.size(); i++) {
                    const candidate &c = cands[i];
                    if (*c.cp == 0 && (c.partial.n_remain == 0 || match_partial_char(s.back(), c.partial))) ok[i] = 1;
                }
            }
        }
        // Candidates with characters left continue with the stacks their next character
        // leads to. After a character set the stack's next position does not depend on which
        // character matched, so candidates are grouped by the set of stacks that match them
        // (one group when there is one stack, as usual); with many stacks, by character.
        std::vector<std::vector<gstack>> next(S.size());
        std::vector<char> have(S.size(), 0);
        auto next_of = [&](size_t k) -> const std::vector<gstack> & {
            if (!have[k]) {
                stack_set tmp{this, {}};
                advance(popped(S[k], match_char(S[k].back(), 0).second), tmp);
                next[k] = tmp.take();
                have[k] = 1;
            }
            return next[k];
        };
        auto descend = [&](const std::vector<size_t> &idx, const std::vector<size_t> &from) {
            std::vector<candidate> sub;
            sub.reserve(idx.size());
            for (size_t i : idx) {
                candidate c = cands[i];
                c.cp++;
                sub.push_back(c);
            }
            std::vector<size_t> r;
            if (from.size() == 1) {
                r = rejected(next_of(from[0]), sub, false);
            } else {
                stack_set S2{this, {}};
                for (size_t k : from) {
                    for (const gstack &t : next_of(k)) S2.add(t);
                }
                r = rejected(S2.take(), sub, false);
            }
            out.insert(out.end(), r.begin(), r.end());
        };
        std::vector<size_t> char_tops;
        for (size_t k = 0; k < S.size(); k++) {
            if (!S[k].empty() && !is_token(S[k].back())) char_tops.push_back(k);
        }
        std::vector<size_t> left;
        for (size_t i = 0; i < cands.size(); i++) {
            if (ok[i]) continue;
            if (*cands[i].cp != 0 && !char_tops.empty()) {
                left.push_back(i);
            } else {
                out.push_back(cands[i].index);
            }
        }
        if (left.empty()) return out;
        charge(left.size() * char_tops.size());
        if (char_tops.size() <= 64) {
            std::map<uint64_t, std::vector<size_t>> groups;
            for (size_t i : left) {
                uint64_t mask = 0;
                for (size_t b = 0; b < char_tops.size(); b++) {
                    if (match_char(S[char_tops[b]].back(), *cands[i].cp).first) mask |= uint64_t(1) << b;
                }
                if (mask == 0) {
                    out.push_back(cands[i].index);
                } else {
                    groups[mask].push_back(i);
                }
            }
            for (auto &[mask, idx] : groups) {
                std::vector<size_t> from;
                for (size_t b = 0; b < char_tops.size(); b++) {
                    if (mask >> b & 1) from.push_back(char_tops[b]);
                }
                descend(idx, from);
            }
            return out;
        }
        std::map<uint32_t, std::vector<size_t>> groups;
        for (size_t i : left) groups[*cands[i].cp].push_back(i);
        for (auto &[chr, idx] : groups) {
            std::vector<size_t> from;
            for (size_t k : char_tops) {
                if (match_char(S[k].back(), chr).first) from.push_back(k);
            }
            if (from.empty()) {
                for (size_t i : idx) out.push_back(cands[i].index);
            } else {
                descend(idx, from);
            }
        }
        return out;
    }
};

nash_grammar *nash_grammar_new(const nash_gelem *elems, size_t n_elems, size_t n_rules, uint32_t root,
                               size_t max_stacks, size_t budget) {
    auto *g = new nash_grammar();
    try {
        g->max_stacks = max_stacks;
        g->budget = budget;
        size_t i = 0;
        for (size_t r = 0; r < n_rules; r++) {
            std::vector<nash_gelem> rule;
            while (i < n_elems && elems[i].type != NG_END) rule.push_back(elems[i++]);
            if (i >= n_elems) throw std::runtime_error("grammar: truncated rules");
            rule.push_back(elems[i++]);
            g->rules.push_back(std::move(rule));
        }
        if (root >= g->rules.size()) throw std::runtime_error("grammar: no root rule");
        g->start(0);
        nash_grammar::stack_set out{g, {}};
        gpos pos = g->rules[root].data();
        for (;;) {
            gstack st;
            if (!is_end(pos)) st.push_back(pos);
            g->advance(std::move(st), out);
            while (!is_end(pos)) pos++;
            if (pos->type != NG_ALT) break;
            pos++;
        }
        g->stacks = out.take();
    } catch (...) {
        delete g;
        throw;
    }
    return g;
}

void nash_grammar_free(nash_grammar *g) { delete g; }

void nash_grammar_apply(nash_grammar *g, const llama_vocab *vocab, const std::string *pieces,
                        llama_token_data_array *cur) {
    g->start(256 * cur->size);
    bool allow_eog = false;
    for (const gstack &s : g->stacks) {
        if (s.empty()) {
            allow_eog = true;
            break;
        }
    }
    std::vector<std::vector<uint32_t>> decoded;
    std::vector<partial_utf8> partials;
    std::vector<size_t> which;
    std::string own;
    decoded.reserve(cur->size);
    for (size_t i = 0; i < cur->size; i++) {
        llama_token id = cur->data[i].id;
        if (llama_vocab_is_eog(vocab, id)) {
            if (!allow_eog) cur->data[i].logit = -INFINITY;
            continue;
        }
        if (!pieces) own = token_piece(vocab, id);
        const std::string &piece = pieces ? pieces[id] : own;
        if (piece.empty() || piece[0] == 0) {
            cur->data[i].logit = -INFINITY;
            continue;
        }
        auto d = decode_utf8(piece, g->partial);
        decoded.push_back(std::move(d.first));
        partials.push_back(d.second);
        which.push_back(i);
    }
    std::vector<candidate> cands;
    cands.reserve(which.size());
    for (size_t k = 0; k < which.size(); k++) {
        cands.push_back(candidate{which[k], decoded[k].data(), partials[k], cur->data[which[k]].id});
    }
    if (g->stacks.empty()) {
        for (const candidate &c : cands) cur->data[c.index].logit = -INFINITY;
        return;
    }
    for (size_t idx : g->rejected(g->stacks, cands, true)) cur->data[idx].logit = -INFINITY;
}

void nash_grammar_accept(nash_grammar *g, const llama_vocab *vocab, llama_token token) {
    g->start(0);
    if (llama_vocab_is_eog(vocab, token)) {
        for (const gstack &s : g->stacks) {
            if (s.empty()) return;
        }
        throw std::runtime_error("grammar: end of generation before the grammar is complete");
    }
    std::string piece = token_piece(vocab, token);
    auto decoded = decode_utf8(piece, g->partial);
    const std::vector<uint32_t> &cps = decoded.first;
    nash_grammar::stack_set out{g, {}};
    std::vector<gstack> cur;
    for (const gstack &s : g->stacks) {
        if (s.empty()) continue;
        gpos top = s.back();
        if (is_token(top)) {
            if (match_token(top, token)) g->advance(nash_grammar::popped(s, top + 1), out);
        } else {
            cur.push_back(s);
        }
    }
    for (size_t i = 0; i + 1 < cps.size() && !cur.empty(); i++) {
        nash_grammar::stack_set next{g, {}};
        for (const gstack &s : cur) {
            if (s.empty() || is_token(s.back())) continue;
            auto m = match_char(s.back(), cps[i]);
            if (m.first) g->advance(nash_grammar::popped(s, m.second), next);
        }
        cur = next.take();
    }
    for (gstack &s : cur) out.add(std::move(s));
    std::vector<gstack> stacks = out.take();
    if (stacks.empty()) throw std::runtime_error("grammar: token '" + piece + "' is not allowed here");
    g->stacks = std::move(stacks);
    g->partial = decoded.second;
}
