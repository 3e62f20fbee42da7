-- :checkhealth punie
local M = {}

local function server_cmd()
  local cfg = dofile(vim.api.nvim_get_runtime_file('lsp/punie.lua', false)[1])
  return cfg.cmd
end

function M.check()
  vim.health.start('punie-lsp')
  local cmd = server_cmd()
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    vim.health.error('server command not found: ' .. cmd[1], { 'from the punie-lsp clone: uv tool install --from . punie-lsp --overrides tool-overrides.txt', 'or set vim.g.punie_cmd' })
    return
  end
  vim.health.ok('server command: ' .. table.concat(cmd, ' ') .. ' (' .. exe .. ')')
  -- The server looks beside its own Python first: a `uv tool install` puts a link to
  -- punie-lsp on PATH, and ruff and ty in the tool's own environment, beside the link's target.
  local bindir = vim.fs.dirname(vim.fn.resolve(exe))
  for _, tool in ipairs({ 'ruff', 'ty' }) do
    local beside = bindir .. '/' .. tool
    if vim.fn.executable(beside) == 1 then
      vim.health.ok(tool .. ' found: ' .. beside)
    elseif vim.fn.executable(tool) == 1 then
      vim.health.ok(tool .. ' found: ' .. vim.fn.exepath(tool))
    else
      vim.health.error(tool .. ' not found', { 'install it, or set punie.' .. tool .. 'Path' })
    end
  end
  local clients = vim.lsp.get_clients({ name = 'punie' })
  if #clients == 0 then
    vim.health.info('no punie-lsp client running (open a Python file)')
    return
  end
  vim.health.ok('punie-lsp running (client id ' .. clients[1].id .. ')')
  local state = require('punie').state
  if state.model == 'ready' then
    vim.health.ok('model ' .. state.model_message)
  elseif state.model == 'error' then
    vim.health.error('model: ' .. state.model_message)
  elseif state.model == 'loading' then
    vim.health.info('model: loading (' .. state.model_message .. ')')
  elseif state.model == 'off' then
    vim.health.info('model: ' .. state.model_message)
  else
    vim.health.info('model: not loaded yet (it loads after the first diagnostics, or at the first :PunieAsk)')
  end
end

return M
