"""Lab 3, VPC endpoints: the S3 gateway endpoint, the VPCE-only bucket policy, the tester."""
