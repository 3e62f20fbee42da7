-- punie-lsp for Neovim 0.11+: `vim.lsp.enable('punie')` finds this file on the runtime path.
local MISSING = 'punie: punie-lsp is not on PATH or in a .venv here; in the punie-lsp clone run'
  .. ' `uv tool install --from . punie-lsp --overrides tool-overrides.txt`,'
  .. ' or set vim.g.punie_cmd (:help punie-setup)'

local function cmd()
  if vim.g.punie_cmd then
    return vim.g.punie_cmd
  end
  if vim.fn.executable('punie-lsp') == 1 then
    return { 'punie-lsp', 'serve' }
  end
  -- A clone set up with the README's commands has punie-lsp only in its .venv.
  local root = vim.fs.root(vim.fn.getcwd(), '.venv')
  local venv = root and (root .. '/.venv/bin/punie-lsp')
  if venv and vim.fn.executable(venv) == 1 then
    return { venv, 'serve' }
  end
  vim.schedule(function()
    vim.notify(MISSING, vim.log.levels.ERROR)
  end)
  return { 'punie-lsp', 'serve' }
end

---@type vim.lsp.Config
return {
  cmd = cmd(),
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'ruff.toml', '.ruff.toml', 'ty.toml', 'setup.cfg', '.git' },
  settings = { punie = vim.g.punie_settings or {} },
  init_options = vim.g.punie_settings or {},
  -- The model's state (off, loading, ready, error) as the server tells it, for :checkhealth.
  capabilities = { experimental = { punieStatus = true } },
  handlers = {
    ['punie/status'] = function(_, params)
      require('punie').on_status(params)
    end,
  },
}
