-- Where a repository's code lives on a forge (GitHub, Gitea, GitLab…), so
-- that the pages of packages connected to it link there.
ALTER TABLE repositories ADD COLUMN code_url TEXT;
