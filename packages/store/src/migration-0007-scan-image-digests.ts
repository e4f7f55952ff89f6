// Migration 0007_scan_image_digests: the image digests (config id and repo digests) of each
// uploaded image scan, so an image's vulnerabilities include those found by scanning the image
// itself (in CI, say), not only those found on workloads that report running it.

import type { Kysely, Migration } from 'kysely';

export const scanImageDigestsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('scan_image_digests')
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('scan_image_digests_pk', ['scan_id', 'digest'])
      .execute();
    await db.schema
      .createIndex('scan_image_digests_digest')
      .on('scan_image_digests')
      .columns(['tenant_id', 'digest'])
      .execute();
    // An image's findings are found through the workloads running it and the scans of it. The
    // workload index also covers the risk ranking's count of open findings per workload.
    await db.schema
      .createIndex('findings_workload_counts')
      .on('findings')
      .columns(['workload_id', 'state', 'severity', 'type', 'suppressed_at', 'suppressed_until'])
      .execute();
    await db.schema.createIndex('findings_last_scan').on('findings').column('last_scan_id').execute();
  },
};
