//! What clients ask while setting up: which methods the server supports and
//! which version it is (ServerFeatures), who leads the cluster (Gossip: this
//! server, alone), and persistent subscriptions, which Kroonika does not keep
//! (an empty list; every other call unimplemented, which clients expect of a
//! server without the feature).

use std::pin::Pin;

use futures_util::Stream;
use tonic::{Request, Response, Status, Streaming};

use super::Grpc;
use super::proto::event_store::client::Empty;
use super::proto::event_store::client::gossip::gossip_server::Gossip;
use super::proto::event_store::client::gossip::{ClusterInfo, EndPoint, MemberInfo, member_info};
use super::proto::event_store::client::persistent_subscriptions as ps;
use super::proto::event_store::client::persistent_subscriptions::persistent_subscriptions_server::PersistentSubscriptions;
use super::proto::event_store::client::server_features::server_features_server::ServerFeatures;
use super::proto::event_store::client::server_features::{SupportedMethod, SupportedMethods};

/// The KurrentDB version whose protocol this server speaks: clients turn on
/// what they use by it (caught-up messages from 23.10, batch appends).
pub const PROTOCOL_VERSION: &str = "24.10.0";

const STREAMS: &str = "event_store.client.streams.streams";

#[tonic::async_trait]
impl ServerFeatures for Grpc {
    async fn get_supported_methods(
        &self,
        _: Request<Empty>,
    ) -> Result<Response<SupportedMethods>, Status> {
        // Asked before any credentials are used (clients set up with it), as
        // KurrentDB answers it: it says only what the server speaks.
        let method = |name: &str, service: &str, features: &[&str]| SupportedMethod {
            method_name: name.to_owned(),
            service_name: service.to_owned(),
            features: features.iter().map(|f| (*f).to_owned()).collect(),
        };
        Ok(Response::new(SupportedMethods {
            methods: vec![
                method("read", STREAMS, &["position", "events", "filter"]),
                method("append", STREAMS, &[]),
                method("batchappend", STREAMS, &[]),
                method("delete", STREAMS, &[]),
                method("tombstone", STREAMS, &[]),
                method(
                    "getsupportedmethods",
                    "event_store.client.server_features.serverfeatures",
                    &[],
                ),
                method("read", "event_store.client.gossip.gossip", &[]),
                method(
                    "list",
                    "event_store.client.persistent_subscriptions.persistentsubscriptions",
                    &[],
                ),
            ],
            event_store_server_version: PROTOCOL_VERSION.to_owned(),
        }))
    }
}

#[tonic::async_trait]
impl Gossip for Grpc {
    async fn read(&self, _: Request<Empty>) -> Result<Response<ClusterInfo>, Status> {
        // Like the features: discovery comes before credentials.
        let address = self.inner.address;
        Ok(Response::new(ClusterInfo {
            members: vec![MemberInfo {
                instance_id: Some(super::convert::proto_id(uuid::Uuid::nil(), false)),
                time_stamp: chrono::Utc::now().timestamp_micros() * 10,
                state: member_info::VNodeState::Leader as i32,
                is_alive: true,
                http_end_point: Some(EndPoint {
                    address: address.ip().to_string(),
                    port: u32::from(address.port()),
                }),
            }],
        }))
    }
}

type Stream_<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn not_kept() -> Status {
    Status::unimplemented("Kroonika keeps no persistent subscriptions: use a catch-up subscription")
}

#[tonic::async_trait]
impl PersistentSubscriptions for Grpc {
    type ReadStream = Stream_<ps::ReadResp>;

    async fn create(&self, _: Request<ps::CreateReq>) -> Result<Response<ps::CreateResp>, Status> {
        Err(not_kept())
    }
    async fn update(&self, _: Request<ps::UpdateReq>) -> Result<Response<ps::UpdateResp>, Status> {
        Err(not_kept())
    }
    async fn delete(&self, _: Request<ps::DeleteReq>) -> Result<Response<ps::DeleteResp>, Status> {
        Err(not_kept())
    }
    async fn read(
        &self,
        _: Request<Streaming<ps::ReadReq>>,
    ) -> Result<Response<Self::ReadStream>, Status> {
        Err(not_kept())
    }
    async fn get_info(
        &self,
        _: Request<ps::GetInfoReq>,
    ) -> Result<Response<ps::GetInfoResp>, Status> {
        Err(not_kept())
    }
    async fn replay_parked(
        &self,
        _: Request<ps::ReplayParkedReq>,
    ) -> Result<Response<ps::ReplayParkedResp>, Status> {
        Err(not_kept())
    }
    async fn list(&self, request: Request<ps::ListReq>) -> Result<Response<ps::ListResp>, Status> {
        self.caller(request.metadata(), "grpc persistent list")
            .await?;
        Ok(Response::new(ps::ListResp {
            subscriptions: Vec::new(),
        }))
    }
    async fn restart_subsystem(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        Err(not_kept())
    }
}
