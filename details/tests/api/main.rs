mod bad_configuration;
mod details;
mod details_v2;
mod health;
mod helpers;
mod routing;
