"""Lab 2: S3 from a VPC, with an IAM user's keys and then an instance role (notebook 04)."""
