-- Owner listings page through packages in id order.
CREATE INDEX packages_owner_type_id ON packages(owner_id, package_type, id);
