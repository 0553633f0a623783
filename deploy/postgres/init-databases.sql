-- One PostgreSQL server, one database per part (run once by the postgres image on an empty volume).
CREATE DATABASE mlflow;
CREATE DATABASE prefect;
CREATE DATABASE predictions;
