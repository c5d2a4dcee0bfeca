// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// The part of ERC-20 the escrow and the registry use.
interface IERC20 {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}
