//! slb-openapi: Alibaba Cloud's signed RPC OpenAPI for CLB (Slb 2014-05-15) and ECS
//! (2014-05-26): the signer, typed requests and responses, the `Clb`/`Ecs` traits that are the
//! controller's only way to a cloud, and the HTTP client that implements them.
