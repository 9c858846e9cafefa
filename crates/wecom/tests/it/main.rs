//! The WeCom client against the fake server, one binary: contacts and tokens (`client`), mass
//! messages, Moments, groups and transfers (`campaigns`), and the official callback vectors.

mod campaigns;
mod client;
mod qr;
mod vectors;
