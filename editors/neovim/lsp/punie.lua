-- punie-lsp for Neovim 0.11+: `vim.lsp.enable('punie')` finds this file on the runtime path.
local function cmd()
  if vim.g.punie_cmd then
    return vim.g.punie_cmd
  end
  if vim.fn.executable('punie-lsp') == 1 then
    return { 'punie-lsp', 'serve' }
  end
  return { 'python3', '-m', 'punie_lsp', 'serve' }
end

---@type vim.lsp.Config
return {
  cmd = cmd(),
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'ruff.toml', '.ruff.toml', 'ty.toml', 'setup.cfg', '.git' },
  settings = { punie = vim.g.punie_settings or {} },
  init_options = vim.g.punie_settings or {},
}
