-- The setpass token store's database beside Temporal's (run once by the postgres image).
CREATE DATABASE setpass;
