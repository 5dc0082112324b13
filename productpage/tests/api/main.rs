//! productpage's API tests: the real server on 127.0.0.1, recording stand-ins for its backends.

mod api_v1;
mod health;
mod helpers;
mod index;
mod login;
mod metrics;
mod productpage;
mod propagation;
mod routing;
mod shutdown;
