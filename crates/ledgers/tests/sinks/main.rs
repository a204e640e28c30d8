//! The ledger sinks' tests, one binary (one link, one build of the support): the Inqom,
//! Pennylane and Chift sinks against the mocks of `simulators` on 127.0.0.1, the FEC sink against the
//! independent checker, and end to end at the sink and pipeline levels.

mod chift;
mod chift_parties;
mod end_to_end;
mod fec;
mod fec_numbering;
mod fec_scenario;
mod inqom;
mod inqom_checks;
mod pennylane;
mod pennylane_checks;
mod pipeline_end_to_end;
mod support;
