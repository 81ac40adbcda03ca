// Agent: something in the machine that takes steps without being a CPU's program.
//
// A TSO store buffer draining to memory is the first; hardware access/dirty updaters, hardware
// page walkers and RCU grace-period machinery (later issues) are the same kind of thing. The
// scheduler treats agents exactly like CPUs: each step it lists every runnable CPU and agent, in
// a fixed order, and the Decider picks one (DecisionKind::kSchedule; docs/schedule-format.md).
// An agent belongs to a CPU (its store buffer, its walker) or to the machine (kMachineAgent);
// the schedule lists a CPU's agents right after the CPU, machine agents last, so the default
// policy (answer 0: keep running whoever ran last) lets a CPU's own agents catch up when the CPU
// stops, before the next CPU runs.
//
// An agent's step is atomic and recorded in the trace like a CPU's, named `kind@cpuN`.
#ifndef PTFUZZ_CORE_AGENT_H_
#define PTFUZZ_CORE_AGENT_H_

#include "core/pte.h"
#include "core/trace.h"

namespace ptfuzz {

class World;

inline constexpr CpuId kMachineAgent = 0xffffffffu;

class Agent {
 public:
  explicit Agent(CpuId owner) : owner_(owner) {}
  virtual ~Agent() = default;
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // The CPU it belongs to, or kMachineAgent.
  CpuId owner() const { return owner_; }
  // Names the agent in traces and reports ("store_buffer") and attributes its steps.
  virtual const FuncInfo& func() const = 0;
  virtual bool Runnable(const World& world) const = 0;
  // Whether the scheduler lists it at all. An agent that cannot run until some event (an RCU
  // agent before the first call_rcu()) stays out of the runner list, and so out of the per-step
  // scan, until World::RelistAgents() after that event; unlisted, it would never be runnable, so
  // listing it later changes no option order.
  virtual bool Listed(const World& world) const {
    (void)world;
    return true;
  }
  // One atomic step. REQUIRES: Runnable(world).
  virtual void Step(World& world) = 0;

 private:
  CpuId owner_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_AGENT_H_
