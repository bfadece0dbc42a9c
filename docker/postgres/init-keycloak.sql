-- Keycloak keeps its own database beside DI Case's on the same server (first start only).
CREATE DATABASE keycloak OWNER dicase;
