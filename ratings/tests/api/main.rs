//! ratings' API tests: the real server on 127.0.0.1, spoken to over HTTP.

mod health;
mod helpers;
mod mariadb;
mod memory;
mod personas;
mod ratings_get;
mod ratings_mongodb;
mod ratings_mysql;
mod ratings_post;
mod routing;
