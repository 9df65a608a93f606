-- Every change to what the store keeps in memory (accounts, packages,
-- repositories, roles, tokens, single sign-on) is announced to every
-- node: `NOTIFY entrepot_changes` at commit, and the sequence advanced
-- for a node whose listener was away (see src/sql/cache.rs).
CREATE SEQUENCE entrepot_changes;

CREATE FUNCTION entrepot_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('entrepot_changes');
    PERFORM pg_notify('entrepot_changes', '');
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['accounts', 'org_members', 'repositories', 'repo_collaborators',
                             'tokens', 'packages', 'package_roles', 'org_sso', 'org_sso_tokens']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION entrepot_changed()', t || '_changed', t);
    END LOOP;
END
$$;
