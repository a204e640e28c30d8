//! The AWS adapters' tests, one binary (the AWS SDK is linked once): against `moto_server`
//! (the ports' suites, what only AWS has, the pipeline under faults) and against a scripted
//! endpoint for the failures moto does not produce.

mod failures;
mod fec_concurrent;
mod moto;
mod pipeline_faults;
