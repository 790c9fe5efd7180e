//! Endpoint `Call`s at run time: a request running a callee's program keeps
//! the point to return to, per call in progress, in a stack beside the
//! request (by its slab slot), not in the `Request` itself: most requests
//! never call, and the few that do reuse their slot's stack without
//! allocating once it has grown.
//!
//! ```text
//!  program A: … Call(B) ─┐            program B: op · op · (end) ─┐
//!                 ▲      └─ push (A, pc + 1), run B from 0        │
//!                 └──────── pop: continue A after the call ◀──────┘
//! ```
//!
//! A request's `calls` counts its stack's frames; at 0 the end of its
//! program is the end of the request. The stack also holds where the
//! running program's `CacheAside` numbers start in `Plan::asides` (see
//! `resolve/program.rs`); at the top level that is its endpoint's.

use super::interpreter::Sim;
use crate::scenario::Op;

/// The return stacks of every request slot.
#[derive(Default)]
pub(super) struct CallStacks {
    /// By request slot; a slot's stack is emptied by its request's first call.
    stacks: Vec<CallStack>,
}

/// One request's calls in progress.
#[derive(Default)]
struct CallStack {
    frames: Vec<Frame>,
    /// Where the running program's asides start in `Plan::asides`.
    asides: u16,
}

/// Where a call returns to.
#[derive(Clone, Copy)]
struct Frame {
    program: u32,
    pc: u32,
    /// The caller's first aside.
    asides: u16,
}

impl Sim<'_> {
    /// Request `r` calls `program` from the op at its counter; `asides` is
    /// where the callee's asides start after the caller's. Out of line: the
    /// interpreter's loop stays as small as when no request calls.
    #[cold]
    #[inline(never)]
    pub(super) fn call(&mut self, r: u32, program: u32, asides: u16) {
        let slot = r as usize;
        let stacks = &mut self.calls.stacks;
        if stacks.len() <= slot {
            stacks.resize_with(slot + 1, CallStack::default);
        }
        let req = &mut self.requests[r];
        let stack = &mut stacks[slot];
        if req.calls == 0 {
            // Whatever an earlier request of this slot left is not ours.
            stack.frames.clear();
            stack.asides = self.plan.endpoints[req.endpoint as usize].asides;
        }
        stack.frames.push(Frame {
            program: req.program,
            pc: req.pc + 1,
            asides: stack.asides,
        });
        stack.asides += asides;
        req.calls += 1;
        req.program = program;
        req.pc = 0;
    }

    /// Request `r` ran past the end of a called program: back to its caller.
    #[cold]
    #[inline(never)]
    pub(super) fn return_from_call(&mut self, r: u32) {
        let req = &mut self.requests[r];
        let stack = &mut self.calls.stacks[r as usize];
        let back = stack.frames.pop().expect("a call in progress");
        stack.asides = back.asides;
        req.calls -= 1;
        req.program = back.program;
        req.pc = back.pc;
    }

    /// The index in `Plan::asides` of aside offset `aside` of the program
    /// request `r` is running.
    pub(super) fn aside_of(&self, r: u32, aside: u16) -> u16 {
        let req = &self.requests[r];
        let first = if req.calls == 0 {
            self.plan.endpoints[req.endpoint as usize].asides
        } else {
            self.calls.stacks[r as usize].asides
        };
        first + aside
    }

    /// The op at request `r`'s counter in the program it is running.
    pub(super) fn op_at(&self, r: u32) -> Op {
        let req = &self.requests[r];
        self.plan.programs[req.program as usize].ops[req.pc as usize]
    }
}
