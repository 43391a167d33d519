//! Code generated from `proto/` at build time. Nothing outside `plugin/` should need it.

#![allow(clippy::all, missing_docs)]

/// Terraform's provider protocol, version 6.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's own services: controller, stdio and broker.
pub mod go_plugin {
    tonic::include_proto!("plugin");
}
