//! The code generated from KurrentDB's protocol (`cli/server/proto/`, see
//! its NOTICE), laid out by package so the generated paths between packages
//! resolve.
#![allow(clippy::all, clippy::pedantic, missing_debug_implementations)]

pub mod google {
    pub mod rpc {
        tonic::include_proto!("google.rpc");
    }
}

pub mod event_store {
    pub mod client {
        tonic::include_proto!("event_store.client");

        pub mod streams {
            tonic::include_proto!("event_store.client.streams");
        }
        pub mod server_features {
            tonic::include_proto!("event_store.client.server_features");
        }
        pub mod gossip {
            tonic::include_proto!("event_store.client.gossip");
        }
        pub mod persistent_subscriptions {
            tonic::include_proto!("event_store.client.persistent_subscriptions");
        }
    }
}
